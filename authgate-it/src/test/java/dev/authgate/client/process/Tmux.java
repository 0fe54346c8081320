package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real terminal of a chosen size: a detached tmux session running one command. Closed, the
 * session is killed.
 */
final class Tmux implements AutoCloseable {
  private final String session;

  private Tmux(String session) {
    this.session = session;
  }

  /** Starts {@code command} (a shell command line) in a {@code columns}×{@code rows} terminal. */
  static Tmux start(String name, int columns, int rows, String command) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/tmux")), "tmux not installed");
    Tmux tmux = new Tmux("authgate-" + name + "-" + ProcessHandle.current().pid());
    tmux.run(
        "new-session",
        "-d",
        "-s",
        tmux.session,
        "-x",
        String.valueOf(columns),
        "-y",
        String.valueOf(rows),
        command);
    return tmux;
  }

  /** Types {@code keys} (tmux key names, e.g. "Enter", "C-d"). */
  void sendKeys(String... keys) throws Exception {
    List<String> args = new ArrayList<>(List.of("send-keys", "-t", session));
    args.addAll(List.of(keys));
    run(args.toArray(String[]::new));
  }

  /** Types {@code text} literally. */
  void type(String text) throws Exception {
    run("send-keys", "-t", session, "-l", text);
  }

  /** The screen now, one line per row. */
  String screen() throws Exception {
    return capture("capture-pane", "-p", "-t", session);
  }

  /** The screen with lines the terminal wrapped joined again: each line as the program wrote it. */
  String unwrappedScreen() throws Exception {
    return capture("capture-pane", "-p", "-J", "-t", session);
  }

  private String capture(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("tmux"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String screen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return screen;
  }

  private void run(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("tmux"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  @Override
  public void close() throws IOException {
    Process kill = new ProcessBuilder("tmux", "kill-session", "-t", session).start();
    try {
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
