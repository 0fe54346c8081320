package dev.authgate.client.cli;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.RoomNames;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TimeoutOption;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.datagram.DatagramSender;
import dev.authgate.client.datagram.DatagramsUnavailableException;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.ChatText;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.text.TerminalText;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code auth-client send}: say lines in a chat room and leave, for scripts and telemetry. Over the
 * sealed session by default (every line arrives); with {@code --udp} as verified datagrams
 * (PROTOCOL.md §11: fire and forget, each line one datagram), and then it reports how many the
 * server received.
 */
@Command(
    name = "send",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client send --room telemetry 'temp=21.5 rh=40'",
      "  auth-client send --udp --room telemetry < readings.txt"
    },
    mixinStandardHelpOptions = true,
    description =
        "Say TEXT (or each line of stdin) in a chat room and leave; --udp sends each as a verified"
            + " datagram.")
final class SendCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @ParentCommand AuthClientCommand root;

  @Option(
      names = "--room",
      paramLabel = "NAME",
      defaultValue = "lobby",
      description = "Room to say it in (default: ${DEFAULT-VALUE}).")
  String room;

  @Option(
      names = "--udp",
      description =
          "Send each line as a sealed datagram over a channel of the verified session: no"
              + " round trip per line, but a line may be lost (the count of those the server"
              + " received is reported).")
  boolean udp;

  @Mixin TimeoutOption timeout;

  @Parameters(paramLabel = "TEXT", arity = "0..*", description = "The line to say (words joined).")
  List<String> words = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    RoomNames.require(spec, room);
    List<String> lines = lines();
    PrintWriter err = spec.commandLine().getErr();
    AuthgateClient client = target.client(timeout.get());
    try (VerifiedConnection connection = client.connect()) {
      Event joined = join(connection, client.credential().clientId());
      if (joined.kind() == Event.Kind.ERROR) {
        // (the server's text names the room: "room 'dev' is not permitted for this client; …")
        err.println("auth-client: the server refused: " + TerminalText.escape(joined.text()));
        return ExitCode.TRANSFER.code();
      }
      if (!udp) {
        for (String line : lines) {
          connection.channel().send(ChatMessage.Say.of(line));
        }
        // Frames are handled in order: once PONG is back, every line has been said.
        connection.channel().send(new SessionMessage.Ping(1));
        connection.awaitMessage(SessionMessage.Pong.class);
        err.printf("sent %d line%s to room '%s'%n", lines.size(), plural(lines.size()), room);
        return 0;
      }
      try (DatagramSender sender = DatagramSender.open(connection, false)) {
        for (String line : lines) {
          sender.say(line);
        }
        DatagramControl.Counts counts = sender.awaitReceived(Duration.ofSeconds(2));
        long lost = sender.sent() - counts.received();
        err.printf(
            "sent %d datagram%s to room '%s' (UDP %s): %d received by the server, %d lost%n",
            sender.sent(),
            plural(sender.sent()),
            room,
            sender.server().getPort(),
            counts.received(),
            lost);
        return 0;
      } catch (DatagramsUnavailableException e) {
        err.println("auth-client: " + e.getMessage());
        return ExitCode.TRANSFER.code();
      }
    }
  }

  /** The words as one line, or stdin's lines; each checked before anything is sent. */
  private List<String> lines() throws IOException {
    List<String> lines = new ArrayList<>();
    if (!words.isEmpty()) {
      lines.add(String.join(" ", words));
    } else {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(root.stdin, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lines.add(line);
      }
    }
    for (String line : lines) {
      String problem = ChatText.problem(line);
      if (problem == null && udp) {
        int bytes = line.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > DatagramSender.MAX_LINE_BYTES) {
          problem =
              "a line of "
                  + bytes
                  + " bytes does not fit one datagram (at most "
                  + DatagramSender.MAX_LINE_BYTES
                  + "); send it without --udp";
        }
      }
      if (problem != null) {
        throw new ParameterException(spec.commandLine(), problem);
      }
    }
    return lines;
  }

  /** Joins the room; returns this client's own JOINED, or the ERROR that refused it. */
  private Event join(VerifiedConnection connection, String me) throws IOException {
    connection.channel().send(new ChatMessage.Join(room, true)); // it only speaks
    while (true) {
      SessionMessage message = connection.channel().receive();
      if (message instanceof Event event
          && (event.kind() == Event.Kind.ERROR
              || (event.kind() == Event.Kind.JOINED && event.from().equals(me)))) {
        return event;
      }
    }
  }

  private static String plural(long n) {
    return n == 1 ? "" : "s";
  }
}
