package dev.authgate.it.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.authgate.client.process.Jars;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser (Debian's headless Chromium through its chromedriver) against a
 * real server process and real client processes, as an operator uses it: log in with an admin
 * token, watch a machine's session appear, revoke the machine and see its session end while the
 * machine's own client exits 3, approve a pending enrollment and see that machine get in, filter
 * the audit log. Screenshots of each step are kept under {@code target/console-screenshots}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleBrowserIT {
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;
  Jars.Server server;
  WebDriver browser;
  WebDriverWait wait;
  final List<Process> machines = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
        "Debian's chromium and chromium-driver (.ci/run installs them)");
    Jars.provision(dir, "sensor-1");
    server = Jars.serve(dir, List.of(), Jars.serveArgs("--admin", "127.0.0.1:0"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--user-data-dir=" + dir.resolve("chromium-profile"));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
    browser.manage().window().setSize(new Dimension(1280, 900));
    wait = new WebDriverWait(browser, PATIENCE);
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    for (Process machine : machines) {
      machine.destroyForcibly();
    }
    if (server != null) {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The admin port, from the server's log line. */
  private String adminUrl() throws Exception {
    Pattern line = Pattern.compile("admin API and console on (http://127\\.0\\.0\\.1:\\d+/)");
    long end = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < end) {
      Matcher m = line.matcher(Files.readString(dir.resolve("server.err")));
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no admin address in server.err");
  }

  private String serverCommandOutput(String... args) throws Exception {
    Process p =
        new ProcessBuilder(Jars.server(List.of(), args))
            .directory(dir.toFile())
            .redirectError(dir.resolve("cmd-" + System.nanoTime() + ".err").toFile())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", args)).isZero();
    return out;
  }

  private void shoot(String name) throws IOException {
    byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Files.write(SCREENSHOTS.resolve(name + ".png"), png);
  }

  private WebElement visible(String css) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  private void gone(String css) {
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector(css)));
  }

  @Test
  void anOperatorWatchesRevokesApprovesAndAuditsFromTheConsole() throws Exception {
    String token =
        serverCommandOutput(
            "admin",
            "token",
            "create",
            "--name",
            "browser",
            "--scope",
            "write",
            "--keys",
            "keys",
            "--audit-log",
            "audit.jsonl");
    String admin = adminUrl();

    // Log in.
    browser.get(admin);
    visible("#login-token").sendKeys(token);
    shoot("01-login");
    browser.findElement(By.id("login-submit")).click();
    visible("#nav-overview");
    assertThat(browser.findElement(By.id("who")).getText()).isEqualTo("browser (write)");

    // A machine's session appears.
    Process chat =
        new ProcessBuilder(
                Jars.client(
                    List.of(),
                    "chat",
                    "--server",
                    server.address(),
                    "--key",
                    "sensor-1.credential",
                    "--room",
                    "ops"))
            .directory(dir.toFile())
            .redirectOutput(dir.resolve("chat.out").toFile())
            .redirectError(dir.resolve("chat.err").toFile())
            .start();
    machines.add(chat);
    OutputStream keepOpen = chat.getOutputStream(); // the chat runs until its stdin ends
    visible("#sessions tr[data-client='sensor-1']");
    assertThat(
            browser.findElement(By.cssSelector("#sessions tr[data-client='sensor-1']")).getText())
        .contains("chat");
    shoot("02-session-appears");

    // Revoke it: its session ends, and the machine's own client exits 3.
    browser.findElement(By.id("nav-machines")).click();
    WebElement revoke =
        visible("#machines tr[data-client='sensor-1'] button[data-action='revoke']");
    revoke.click();
    visible("#machines tr[data-client='sensor-1'] button[data-action='revoke'].armed").click();
    visible("#machines tr[data-client='sensor-1'][data-state='revoked']");
    assertThat(chat.waitFor(60, TimeUnit.SECONDS)).as("the chat client ends").isTrue();
    assertThat(chat.exitValue()).as(Files.readString(dir.resolve("chat.err"))).isEqualTo(3);
    assertThat(Files.readString(dir.resolve("chat.err"))).contains("revoked");
    keepOpen.close();
    shoot("03-revoked");
    browser.findElement(By.id("nav-overview")).click();
    visible("#sessions");
    gone("#sessions tr[data-client='sensor-1']");

    // A token made in the console, shown once; a machine enrolls with it and waits for approval,
    // and the console shows the fingerprint it printed.
    browser.findElement(By.id("nav-tokens")).click();
    visible("#token-prefix").sendKeys("sensor-");
    browser.findElement(By.id("token-create")).click();
    String enrollToken = visible("#token-made").getText().strip();
    assertThat(enrollToken).startsWith("agt2-");
    shoot("04-token-made");
    Process enroll =
        new ProcessBuilder(
                Jars.client(
                    List.of(),
                    "enroll",
                    "--server",
                    server.address(),
                    "--token",
                    enrollToken,
                    "--id",
                    "sensor-9",
                    "--out",
                    "sensor-9.credential",
                    "--wait",
                    "120s"))
            .directory(dir.toFile())
            .redirectOutput(dir.resolve("enroll.out").toFile())
            .redirectError(dir.resolve("enroll.err").toFile())
            .start();
    machines.add(enroll);
    String printed = awaitFingerprint();
    browser.findElement(By.id("nav-machines")).click();
    new org.openqa.selenium.support.ui.Select(visible("#machines-state")).selectByValue("pending");
    WebElement pending = visible("#machines tr[data-client='sensor-9'][data-state='pending']");
    assertThat(pending.findElement(By.cssSelector("td.fingerprint")).getText()).isEqualTo(printed);
    shoot("05-pending");
    pending.findElement(By.cssSelector("button[data-action='approve']")).click();
    visible("#machines tr[data-client='sensor-9'] button[data-action='approve'].armed").click();
    visible("#machines-said");
    assertThat(enroll.waitFor(90, TimeUnit.SECONDS)).as("enroll --wait ends").isTrue();
    assertThat(enroll.exitValue()).as(Files.readString(dir.resolve("enroll.err"))).isZero();
    assertThat(
            Jars.run(
                dir,
                Jars.client(
                    List.of(),
                    "ping",
                    "--server",
                    server.address(),
                    "--key",
                    "sensor-9.credential")))
        .isZero();
    new org.openqa.selenium.support.ui.Select(visible("#machines-state")).selectByValue("");
    visible("#machines tr[data-client='sensor-9'][data-state='active']");
    shoot("06-approved");

    // Filter the audit log: the revoked session's end, and nothing else.
    browser.findElement(By.id("nav-audit")).click();
    visible("#audit-event").sendKeys("session.closed");
    browser.findElement(By.id("audit-client")).sendKeys("sensor-1");
    browser.findElement(By.id("audit-apply")).click();
    // The table is drawn again as the filtered page and the live tail arrive: rows read while it
    // is replaced are read again.
    List<String> rows =
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class)
            .until(
                d -> {
                  List<WebElement> shown = d.findElements(By.cssSelector("#audit tbody tr"));
                  boolean filtered =
                      !shown.isEmpty()
                          && shown.stream()
                              .allMatch(
                                  r -> "session.closed".equals(r.getDomAttribute("data-event")));
                  return filtered ? shown.stream().map(WebElement::getText).toList() : null;
                });
    assertThat(rows).anySatisfy(r -> assertThat(r).contains("revoked"));
    shoot("07-audit-filtered");

    // A phone-sized screen still shows the pages.
    browser.manage().window().setSize(new Dimension(390, 844));
    browser.findElement(By.id("nav-machines")).click();
    visible("#machines tr[data-client='sensor-9']");
    shoot("08-phone");

    List<String> problems = new ArrayList<>();
    for (LogEntry entry : browser.manage().logs().get(LogType.BROWSER)) {
      // (The page asks who is logged in before anyone has: that 401 is the expected answer.)
      if (entry.getLevel().intValue() >= Level.WARNING.intValue()
          && !entry
              .getMessage()
              .contains(
                  "/api/session - Failed to load resource: the server"
                      + " responded with a status of 401")) {
        problems.add(entry.getMessage());
      }
    }
    assertThat(problems)
        .as("the browser's console: no script error, no policy violation")
        .isEmpty();
  }

  /** The fingerprint {@code enroll} printed ("this machine's key fingerprint is SHA256:…"). */
  private String awaitFingerprint() throws Exception {
    Pattern printed = Pattern.compile("this machine's key fingerprint is (SHA256:[A-Za-z0-9+/=]+)");
    long end = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < end) {
      Path err = dir.resolve("enroll.err");
      if (Files.exists(err)) {
        Matcher m = printed.matcher(Files.readString(err));
        if (m.find()) {
          return m.group(1);
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("enroll printed no fingerprint");
  }
}
