package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code auth-client chat} as scripts and people use it: {@code --json} through pipes, and the
 * interactive line editor in a real terminal (tmux), each against a real server process.
 */
class ChatProcessIT {
  @TempDir Path dir;
  Process server;
  String address;

  @BeforeEach
  void startServer() throws Exception {
    for (String id : new String[] {"script", "human"}) {
      Jars.provision(dir, id);
    }
    Jars.Server started = Jars.serve(dir, List.of(), Jars.serveArgs());
    server = started.process();
    address = started.address();
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.destroy();
    server.waitFor(30, TimeUnit.SECONDS);
  }

  private Process jsonChat(String id) throws IOException {
    return Jars.jsonChat(dir, address, id);
  }

  @Test
  void jsonModeExchangesMessagesThroughPipesAndExitsZeroOnEof() throws Exception {
    Process a = jsonChat("script");
    Process b = jsonChat("human");
    Lines aOut = new Lines(a);
    Lines bOut = new Lines(b);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.readString(dir.resolve("audit.jsonl")).split("chat.joined", -1).length == 3);

    OutputStream aIn = a.getOutputStream();
    aIn.write("hello from a script\n".getBytes(StandardCharsets.UTF_8));
    aIn.flush();

    String line = bOut.await("\"type\":\"message\"", Duration.ofSeconds(30));
    assertThat(line)
        .startsWith(
            "{\"type\":\"message\",\"room\":\"lobby\",\"from\":\"script\","
                + "\"text\":\"hello from a script\",\"ts\":\"");

    aIn.close();
    assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(a.exitValue()).isZero();
    line = bOut.await("\"type\":\"left\"", Duration.ofSeconds(30));
    assertThat(line).contains("\"from\":\"script\"");
    b.getOutputStream().close();
    assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(b.exitValue()).isZero();
    assertThat(aOut.rest()).allMatch(l -> l.startsWith("{\"type\":\""));
  }

  @Test
  void theInteractiveModeWorksInARealTerminal() throws Exception {
    Process watcher = jsonChat("script");
    Lines watched = new Lines(watcher);
    String command = String.join(" ", humanChat());
    try (Tmux terminal = Tmux.start("chat", 120, 20, command)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> terminal.screen().contains("Commands: /who"));
      // Keys typed before the line editor puts the terminal in raw mode may be discarded with
      // the pending input: type again (a bounded number of times) until the line arrives.
      String line = null;
      for (int attempt = 0; attempt < 5 && line == null; attempt++) {
        terminal.sendKeys("hello from a person", "Enter");
        line = watched.await("\"type\":\"message\"", Duration.ofSeconds(10));
      }
      assertThat(line).contains("\"from\":\"human\"").contains("hello from a person");

      // What a person types arrives exactly: backslashes, quotes, a bang (ChatLineEditorTest:
      // more).
      terminal.type("C:\\temp\\new it's \"quoted !!");
      terminal.sendKeys("Enter");
      String exact = watched.await("\"type\":\"message\"", Duration.ofSeconds(10));
      assertThat(exact).contains("\"text\":\"C:\\\\temp\\\\new it's \\\"quoted !!\"");

      watcher.getOutputStream().write("hi human\n".getBytes(StandardCharsets.UTF_8));
      watcher.getOutputStream().flush();
      terminal.sendKeys("/who", "Enter");
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                String screen = terminal.screen();
                return screen.contains("<script> hi human") && screen.contains("* here:");
              });
      // The WHO answer can be drawn before the editor reads the next line; a Ctrl-D typed in
      // that instant reaches a terminal out of raw mode and is lost. Press it again (a bounded
      // number of times, as a person would) until the session is left.
      String left = "\"client_id\":\"human\",\"room\":\"lobby\",\"reason\":\"left\"";
      boolean gone = false;
      for (int attempt = 0; attempt < 6 && !gone; attempt++) {
        terminal.sendKeys("C-d");
        gone = waitForAudit(left, Duration.ofSeconds(10));
      }
      assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains(left);
    } finally {
      watcher.getOutputStream().close();
      watcher.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** How a person's session can end while they sit at the prompt, none of them by the person. */
  enum Ending {
    REVOKED(3, "auth-client: the server ended the session: this client's key was revoked"),
    SERVER_STOPPED(4, "auth-client: the server ended the session: server shutting down"),
    CHAT_NO_LONGER_PERMITTED(
        5,
        "auth-client: the server refused: this client's permissions changed and no longer allow"
            + " this session");

    final int exit;
    final String says;

    Ending(int exit, String says) {
      this.exit = exit;
      this.says = says;
    }
  }

  /**
   * However the session ends, the person is told once, the chat ends without a keypress (no "press
   * Enter") and the exit status says why.
   */
  @ParameterizedTest
  @EnumSource(Ending.class)
  void aPersonIsToldOnceAndTheChatEndsWithoutAKeypress(Ending ending) throws Exception {
    Path exit = dir.resolve("human.exit");
    String command =
        "sh -c '" + String.join(" ", humanChat()) + "; echo $? > " + exit + "; sleep 60'";
    try (Tmux terminal = Tmux.start("ended", 120, 20, command)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> terminal.screen().contains("Commands: /who"));

      switch (ending) {
        case REVOKED ->
            assertThat(
                    Jars.run(
                        dir, Jars.server(List.of(), "keys", "revoke", "human", "--keys", "keys")))
                .isZero();
        case SERVER_STOPPED -> {
          server.destroy();
          assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        case CHAT_NO_LONGER_PERMITTED ->
            assertThat(
                    Jars.run(
                        dir,
                        Jars.server(
                            List.of(),
                            "keys",
                            "set",
                            "human",
                            "--sessions",
                            "upload",
                            "--keys",
                            "keys")))
                .isZero();
      }

      // Nobody presses a key: the session's end interrupts the line editor.
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(exit));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> !Files.readString(exit).isBlank());
      String screen = terminal.unwrappedScreen();
      assertThat(Files.readString(exit).strip()).as(screen).isEqualTo(String.valueOf(ending.exit));
      assertThat(screen).contains(ending.says).doesNotContain("press Enter");
      assertThat(screen.split(java.util.regex.Pattern.quote(ending.says), -1)).hasSize(2);
    }
  }

  /**
   * A chat in line mode (not JSON) with no input at all, into a room this client may not join: the
   * refusal, never a failure of the client's own (it was exit 1, "InterruptedException", in about 1
   * run of 5: the refusal interrupted the wait for the join's answer).
   */
  @Test
  void aLineModeChatWithNoInputIntoARefusedRoomExits5EveryTime() throws Exception {
    assertThat(
            Jars.run(
                dir,
                Jars.server(List.of(), "keys", "set", "human", "--rooms", "ops", "--keys", "keys")))
        .isZero();
    Path empty = Files.writeString(dir.resolve("empty.txt"), "");
    for (int run = 0; run < 8; run++) {
      Path err = dir.resolve("refused-" + run + ".err");
      Process chat =
          new ProcessBuilder(humanChat("--room", "dev"))
              .directory(dir.toFile())
              .redirectInput(empty.toFile())
              .redirectOutput(dir.resolve("refused-" + run + ".out").toFile())
              .redirectError(err.toFile())
              .start();
      assertThat(chat.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(chat.exitValue()).as("run %d: %s", run, Files.readString(err)).isEqualTo(5);
      assertThat(Files.readString(err))
          .isEqualTo(
              "auth-client: the server refused: room 'dev' is not permitted for this client;"
                  + " allowed: ops\n");
    }
  }

  /** {@code auth-client chat} as the person "human", with {@code extra} arguments. */
  private List<String> humanChat(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "chat", "--server", address, "--key", dir.resolve("human.credential").toString()));
    args.addAll(List.of(extra));
    return Jars.client(List.of(), args.toArray(String[]::new));
  }

  private boolean waitForAudit(String text, Duration atMost) {
    try {
      Awaitility.await()
          .atMost(atMost)
          .until(() -> Files.readString(dir.resolve("audit.jsonl")).contains(text));
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }
}
