package dev.authgate.client.cli;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.chat.ChatFormat;
import dev.authgate.client.chat.ReconnectingChat;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.session.ChatMessage.Event;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code chat --json --reconnect}: stdin lines go into a {@link ReconnectingChat}; its events, and
 * {@code sent}, {@code disconnected}, {@code retrying} and {@code reconnected} lines of our own, go
 * to stdout.
 */
final class ReconnectingChatLines implements ReconnectingChat.Listener {
  private final PrintWriter out;
  private final InputStream stdin;
  private final String room;
  private String me;

  ReconnectingChatLines(PrintWriter out, InputStream stdin, String room) {
    this.out = out;
    this.stdin = stdin;
    this.room = room;
  }

  /** Chats until stdin ends and every line read is confirmed, or the key is refused. */
  int run(AuthgateClient client, Duration keepalive, int buffer) throws Exception {
    me = client.credential().clientId();
    ReconnectingChat chat = client.reconnectingChat(room, keepalive, buffer, this);
    Thread stdinReader = Thread.ofVirtual().name("chat-stdin").start(() -> sendStdin(chat));
    try {
      chat.run();
    } finally {
      chat.close();
      stdinReader.interrupt();
    }
    return ExitCode.OK.code();
  }

  /** Hands each stdin line to the chat; a line it refuses is reported, not fatal. */
  private void sendStdin(ReconnectingChat chat) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isEmpty()) {
          continue;
        }
        try {
          chat.say(line);
        } catch (IllegalArgumentException refused) {
          print(notice("error", "not sent: " + refused.getMessage()));
        }
      }
    } catch (IOException | InterruptedException | IllegalStateException e) {
      // Input ended or failed: send what was read, then stop.
    } finally {
      chat.finish();
    }
  }

  @Override
  public void onEvent(Event event) {
    print(ChatFormat.json(event));
  }

  @Override
  public void onSent(long line, String text) {
    print(ChatFormat.json("sent", room, me, text, System.currentTimeMillis(), line));
  }

  @Override
  public void onDisconnected(String why, Exception failure) {
    print(notice("disconnected", why));
  }

  @Override
  public void onRetrying(int attempt, Exception failure, Duration delay) {
    print(
        notice(
            "retrying",
            Failures.describe(failure)
                + "; attempt "
                + (attempt + 1)
                + " in "
                + String.format(java.util.Locale.ROOT, "%.1f s", delay.toMillis() / 1000.0)));
  }

  @Override
  public void onReconnected(int attempts) {
    print(notice("reconnected", "after " + attempts + (attempts == 1 ? " attempt" : " attempts")));
  }

  private String notice(String type, String text) {
    return ChatFormat.json(type, room, "", text, System.currentTimeMillis(), -1);
  }

  private void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
