package dev.authgate.client.cli;

import static java.util.concurrent.TimeUnit.SECONDS;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.chat.ChatFormat;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.RoomNames;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TimeoutConverter;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.datagram.DatagramSender;
import dev.authgate.client.datagram.DatagramsUnavailableException;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.text.TerminalText;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code auth-client chat}: a room for verified machines and the people running them. */
@Command(
    name = "chat",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client chat --room ops               (a person: /who /rooms /join ROOM, Ctrl-D leaves)",
      "  tail -F app.log | auth-client chat --json --reconnect --room logs",
      "  auth-client chat --json --room ops < /dev/null   (prints the room's history and leaves)"
    },
    mixinStandardHelpOptions = true,
    description = {
      "Chat in a room. Interactive on a terminal (/who, /rooms, /join ROOM, /quit; Ctrl-D leaves).",
      "With --json: every stdin line is a message, every event a JSON line on stdout:",
      "  {\"type\":\"message\",\"room\":\"lobby\",\"from\":\"sensor-1\",\"text\":\"hi\",\"ts\":\"...Z\"}",
      "type is message, joined, left, history, who, rooms, error or notice; EOF leaves and exits 0."
    })
final class ChatCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @ParentCommand AuthClientCommand root;

  @Option(
      names = "--room",
      paramLabel = "NAME",
      defaultValue = "lobby",
      description = "Room to join (default: ${DEFAULT-VALUE}).")
  String room;

  @Option(names = "--json", description = "Machine mode: JSON lines out, stdin lines in.")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = TimeoutConverter.class,
      description = "Limit for connecting (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--keepalive",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "Ping a quiet server this often; give up after three intervals without a word from it "
              + "(default: ${DEFAULT-VALUE}).")
  Duration keepalive;

  @Option(
      names = "--reconnect",
      description =
          "With --json: on a lost connection or a server restart, reconnect with backoff, rejoin "
              + "and resend unconfirmed lines; reports sent, disconnected and reconnected events. "
              + "A refused key is not retried (exit 3).")
  boolean reconnect;

  @Option(
      names = "--buffer",
      paramLabel = "LINES",
      defaultValue = "1000",
      description =
          "With --reconnect: lines that may wait for the server's confirmation; when full, stdin "
              + "is not read until some are confirmed (default: ${DEFAULT-VALUE}).")
  int buffer;

  @Option(
      names = "--udp",
      description =
          "Chat over verified datagrams: lines go as sealed UDP datagrams and the room's events"
              + " come back the same way (lost ones are reported: a gap event with --json); the"
              + " session stays for control. Not with --reconnect.")
  boolean udp;

  /** How the session ended, set once by whichever side ends it first. */
  private final CompletableFuture<String> ended = new CompletableFuture<>();

  /** Counted down by the server's first answer to JOIN (joined, an error, or its CLOSE). */
  private final CountDownLatch answered = new CountDownLatch(1);

  private volatile boolean notPermitted;

  private volatile boolean revoked;

  @Override
  public Integer call() throws Exception {
    RoomNames.require(spec, room);
    if (keepalive.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ParameterException(spec.commandLine(), "--keepalive must be at least 100ms");
    }
    if (reconnect && !json) {
      throw new ParameterException(spec.commandLine(), "--reconnect needs --json");
    }
    if (udp && reconnect) {
      throw new ParameterException(spec.commandLine(), "--udp does not go with --reconnect yet");
    }
    if (buffer < 1) {
      throw new ParameterException(spec.commandLine(), "--buffer must be at least 1");
    }
    AuthgateClient client = target.client(timeout);
    Credential credential = client.credential();
    if (reconnect) {
      return new ReconnectingChatLines(spec.commandLine().getOut(), root.stdin, room)
          .run(client, keepalive, buffer);
    }
    VerifiedConnection connection = client.connect();
    ChatClient chat = new ChatClient(connection, keepalive);
    if (udp) {
      try {
        chat.useDatagrams(DatagramSender.open(connection, true));
      } catch (DatagramsUnavailableException e) {
        connection.close();
        spec.commandLine().getErr().println("auth-client: " + e.getMessage());
        return ExitCode.TRANSFER.code();
      }
    }
    // Chat sessions may be quiet for long; the server's idle limit ends them, not ours.
    try (chat) {
      return json ? runJson(chat) : runInteractive(chat, credential.clientId());
    }
  }

  private int runJson(ChatClient chat) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    chat.start(
        new ChatClient.Listener() {
          @Override
          public void onEvent(Event event) {
            synchronized (out) {
              out.println(ChatFormat.json(event));
              out.flush();
            }
            refusedRoom(event);
            answered.countDown();
          }

          @Override
          public void onEnd(String reason, Exception failure) {
            ended.complete(ending(reason, failure));
            answered.countDown();
          }

          @Override
          public void onGap(long missed) {
            synchronized (out) {
              out.println(
                  ChatFormat.json(
                      "gap",
                      room,
                      "",
                      missed + (missed == 1 ? " event" : " events") + " lost on the way",
                      System.currentTimeMillis(),
                      -1));
              out.flush();
            }
          }
        });
    chat.join(room);
    Thread.ofVirtual().name("chat-stdin").start(() -> sendStdin(chat));
    return finish(ended.get());
  }

  /**
   * Ends the session when the server's first answer to joining the room given on the command line
   * is an ERROR: a room this client may not join (or an invalid name) exits 5, as {@code send}
   * does.
   *
   * @return whether this ended the session
   */
  private boolean refusedRoom(Event event) {
    if (answered.getCount() > 0 && event.kind() == Event.Kind.ERROR) {
      notPermitted = true;
      return ended.complete("the server refused: " + event.text());
    }
    return false;
  }

  /** Sends stdin's lines until it ends, then ends the session once the join was answered. */
  private void sendStdin(ChatClient chat) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(root.stdin, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (!line.isEmpty()) {
          chat.say(line);
        }
      }
      // A script whose input is shorter than the round trip still learns how its join
      // went (joined, a refused room, or a refused session) before the session ends.
      answered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
      ended.complete("");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ended.complete("");
    } catch (IOException e) {
      // A send fails once the session is gone; the reader says why (the server's CLOSE,
      // a reset), so give it a moment before reporting the bare write failure.
      ended.completeOnTimeout("the connection failed: " + e.getMessage(), 2, SECONDS).join();
    }
  }

  private static final String COMMANDS_HINT =
      "Commands: /who /rooms /join ROOM /quit (Ctrl-D leaves)";

  private int runInteractive(ChatClient chat, String clientId) throws Exception {
    Thread editing = Thread.currentThread();
    try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
      LineReader reader = ChatLineEditor.lineReader(terminal);
      chat.start(
          new ChatClient.Listener() {
            @Override
            public void onEvent(Event event) {
              reader.printAbove(ChatFormat.human(event));
              boolean refused = refusedRoom(event);
              answered.countDown();
              if (refused) {
                editing.interrupt();
              }
            }

            @Override
            public void onEnd(String reason, Exception failure) {
              if (ended.complete(ending(reason, failure))) {
                // The line editor is waiting for a key: interrupt it (as its own Ctrl-C
                // handler does), so the session ends now with the one line finish() prints,
                // not after a keypress. The flag stays set if the editor is between two
                // lines: the next read ends at once.
                editing.interrupt();
              }
            }

            @Override
            public void onGap(long missed) {
              reader.printAbove(
                  "! " + missed + (missed == 1 ? " message" : " messages") + " lost on the way");
            }
          });
      chat.join(room);
      reader.printAbove("* " + clientId + " in " + room + ". " + COMMANDS_HINT);
      while (!ended.isDone()) {
        String line;
        try {
          line = reader.readLine("> ");
        } catch (EndOfFileException | UserInterruptException e) {
          if (e instanceof EndOfFileException) {
            awaitJoinAnswer();
          }
          ended.complete("");
          break;
        }
        if (!ended.isDone()) {
          command(chat, reader, line.strip());
        }
      }
    }
    Thread.interrupted(); // an interrupt that ended the editor has done its work
    return finish(ended.get());
  }

  /**
   * Input that ends before the join was answered still learns how it went (a refused room exits 5),
   * as in JSON mode. The answer that refuses the room also interrupts this thread (to stop the line
   * editor): that interrupt is the answer arriving, not a failure.
   */
  private void awaitJoinAnswer() {
    try {
      answered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException answeredMeanwhile) {
      // cleared below, before finish()
    }
  }

  private void command(ChatClient chat, LineReader reader, String line) throws IOException {
    if (line.isEmpty()) {
      return;
    }
    if (line.equals("/quit")) {
      ended.complete("");
    } else if (line.equals("/who")) {
      chat.who();
    } else if (line.equals("/rooms")) {
      chat.rooms();
    } else if (line.startsWith("/join ")) {
      room = line.substring("/join ".length()).strip();
      chat.join(room);
    } else if (line.startsWith("/")) {
      reader.printAbove("! commands: /who /rooms /join ROOM /quit");
    } else {
      chat.say(line);
    }
  }

  /** Says how the session ended: the server's CLOSE text, or what broke the connection. */
  private String ending(String reason, Exception failure) {
    if (failure == null) {
      return "the server ended the session: " + reason;
    }
    if (failure instanceof ProtocolException p && p.reason() == Reason.NOT_PERMITTED) {
      notPermitted = true;
      return "the server refused: " + reason;
    }
    if (failure instanceof ProtocolException p
        && (p.reason() == Reason.REVOKED_KEY || p.reason() == Reason.CLONE_SUSPECTED)) {
      revoked = true;
      return "the server ended the session: " + reason;
    }
    if (failure instanceof SocketTimeoutException) {
      return "the server went silent: no answer to "
          + ChatClient.MISSED_KEEPALIVES
          + " keepalives sent "
          + (keepalive.toMillis() % 1000 == 0
              ? keepalive.toSeconds() + " s"
              : keepalive.toMillis() + " ms")
          + " apart";
    }
    if (failure instanceof EOFException || failure instanceof SocketException) {
      return "the connection was lost: " + reason;
    }
    if (failure instanceof ProtocolException) {
      return "the server broke the protocol: " + reason;
    }
    return "the connection failed: " + reason;
  }

  private int finish(String reason) {
    if (reason.isEmpty()) {
      return ExitCode.OK.code();
    }
    spec.commandLine().getErr().println("auth-client: " + TerminalText.escape(reason));
    if (revoked) {
      return ExitCode.AUTH_REFUSED.code();
    }
    return notPermitted ? ExitCode.TRANSFER.code() : ExitCode.CONNECTION.code();
  }
}
