package dev.authgate.client.bench;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.protocol.session.ChatMessage.Event;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** One member: hears the room on its reader thread and times the bench's messages. */
final class BenchChatMember implements ChatClient.Listener {
  final CountDownLatch joined = new CountDownLatch(1);
  final AtomicLong counted = new AtomicLong();
  final AtomicReference<String> ended = new AtomicReference<>();
  final BenchCommand.Recorder latencies = new BenchCommand.Recorder();
  volatile long measureFrom = Long.MAX_VALUE;
  volatile String refused;
  ChatClient chat;

  @Override
  public void onEvent(Event event) {
    long now = System.nanoTime();
    switch (event.kind()) {
      case JOINED -> joined.countDown();
      case MESSAGE -> {
        String text = event.text();
        if (!text.startsWith(BenchChat.MARK)) {
          return;
        }
        long due = Long.parseLong(text.substring(text.lastIndexOf(' ') + 1));
        if (due >= measureFrom) {
          synchronized (latencies) {
            latencies.add(now - due);
          }
          counted.incrementAndGet();
        }
      }
      case ERROR -> {
        if (joined.getCount() > 0) {
          refused = "the server did not let this member into the room: " + event.text();
          joined.countDown();
        }
      }
      default -> {
        // Others joining and leaving: not timed.
      }
    }
  }

  @Override
  public void onEnd(String reason, Exception failure) {
    ended.compareAndSet(null, reason == null ? "ended" : reason);
    joined.countDown();
  }

  long[] latencies() {
    synchronized (latencies) {
      return latencies.values();
    }
  }

  void closeQuietly() {
    if (chat != null) {
      try {
        chat.close();
      } catch (IOException ignored) {
        // Closing anyway.
      }
    }
  }
}
