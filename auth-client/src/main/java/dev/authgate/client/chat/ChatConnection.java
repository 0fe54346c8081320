package dev.authgate.client.chat;

import dev.authgate.client.chat.ReconnectingChat.Line;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One verified connection's part of a {@link ReconnectingChat}: joins, sends the buffered lines and
 * keepalives on the caller's thread, reads on a thread of its own, and ends saying why. Shares the
 * chat's lock and buffer.
 */
final class ChatConnection {
  private final ReconnectingChat chat;
  private final VerifiedConnection connection;
  private final SecureChannel channel;
  private final Thread reader;
  // Guarded by lock:
  private boolean joined;
  private boolean ended;
  private long confirmedThrough;
  String why;
  Exception failure;
  IOException permanent;
  // When the reader last began waiting for a message; whether drive() cut the connection for
  // the silence since. No timeout on each read (a timer per message), as in ChatClient.
  private volatile long lastHeard = System.nanoTime();
  private volatile boolean silenced;

  ChatConnection(ReconnectingChat chat, VerifiedConnection connection) throws IOException {
    this.chat = chat;
    this.connection = connection;
    this.channel = connection.channel();
    connection.clearReadTimeout();
    this.reader = Thread.ofVirtual().name("chat-reader").unstarted(this::read);
  }

  /** Joins and sends until done (true) or the connection ended (false; {@link #why} says how). */
  boolean drive() throws InterruptedException {
    reader.start();
    try {
      channel.send(new ChatMessage.Join(chat.room));
      chat.lock.lock();
      try {
        return sendUntilEnd();
      } finally {
        chat.lock.unlock();
      }
    } catch (IOException e) {
      chat.lock.lock();
      try {
        if (!ended) {
          // The reader usually learns why (the server's CLOSE, a reset) at about the same time.
          chat.changed.await(2, TimeUnit.SECONDS);
        }
        if (!ended) {
          end("the connection failed: " + e.getMessage(), e);
        }
      } finally {
        chat.lock.unlock();
      }
      return false;
    }
  }

  /**
   * The sending loop, with the lock held (released around every write): once joined, the buffered
   * lines and a PING confirming them; a keepalive PING when quiet; the cut after {@link
   * ChatClient#MISSED_KEEPALIVES} keepalives without a word from the server.
   */
  private boolean sendUntilEnd() throws IOException, InterruptedException {
    long sentThrough = 0;
    long lastWrite = System.nanoTime();
    while (true) {
      if (ended || chat.closed) {
        return !ended && chat.closed;
      }
      if (joined && chat.finishing && chat.unconfirmed.isEmpty()) {
        chat.lock.unlock();
        try {
          channel.send(new ChatMessage.Leave());
          connection.close();
        } finally {
          chat.lock.lock();
        }
        return true;
      }
      if (joined && firstAfter(sentThrough) != null) {
        sentThrough = sendAfter(sentThrough);
        lastWrite = System.nanoTime();
        continue;
      }
      long silenceLeft =
          chat.keepalive.toNanos() * ChatClient.MISSED_KEEPALIVES - (System.nanoTime() - lastHeard);
      if (silenceLeft <= 0 && !silenced) {
        // Three keepalives unanswered: cut it; the reader ends the session saying why.
        silenced = true;
        chat.lock.unlock();
        try {
          release(); // the reader's receive fails at once; it ends the session
        } finally {
          chat.lock.lock();
        }
        continue;
      }
      long left = chat.keepalive.toNanos() - (System.nanoTime() - lastWrite);
      if (left <= 0) {
        sendUnlocked(new SessionMessage.Ping(sentThrough));
        lastWrite = System.nanoTime();
        continue;
      }
      chat.changed.await(silenced ? left : Math.min(left, silenceLeft), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Sends what is buffered after line {@code through}, then one PING whose token is the last line's
   * number: its PONG confirms every line up to there. Called with the lock held; writes without it.
   *
   * @return the last line sent
   */
  private long sendAfter(long through) throws IOException {
    List<Line> lines = snapshotAfter(through);
    chat.lock.unlock();
    try {
      for (Line line : lines) {
        channel.send(ChatMessage.Say.of(line.text()));
        through = line.number();
      }
      channel.send(new SessionMessage.Ping(through));
    } finally {
      chat.lock.lock();
    }
    return through;
  }

  /** Writes {@code message} without holding the lock (called with it held). */
  private void sendUnlocked(SessionMessage message) throws IOException {
    chat.lock.unlock();
    try {
      channel.send(message);
    } finally {
      chat.lock.lock();
    }
  }

  private Line firstAfter(long number) {
    for (Line line : chat.unconfirmed) {
      if (line.number() > number) {
        return line;
      }
    }
    return null;
  }

  private List<Line> snapshotAfter(long number) {
    chat.lock.lock();
    try {
      List<Line> lines = new ArrayList<>();
      for (Line line : chat.unconfirmed) {
        if (line.number() > number) {
          lines.add(line);
        }
      }
      return lines;
    } finally {
      chat.lock.unlock();
    }
  }

  private void read() {
    try {
      while (true) {
        lastHeard = System.nanoTime();
        SessionMessage message = channel.receive();
        switch (message) {
          case Event event -> onEvent(event);
          case SessionMessage.Pong pong -> confirm(pong.token());
          case SessionMessage.Ping ping -> channel.send(new SessionMessage.Pong(ping.token()));
          case SessionMessage.Close close -> {
            onClose(close);
            return;
          }
          default ->
              throw new ProtocolException(
                  Reason.MALFORMED, "the server sent " + message + " in a chat");
        }
      }
    } catch (IOException e) {
      chat.lock.lock();
      try {
        if (!ended) {
          IOException why = silenced ? ChatClient.silence(chat.keepalive) : e;
          end(describe(why), why);
        }
      } finally {
        chat.lock.unlock();
      }
    }
  }

  private void onEvent(Event event) {
    chat.lock.lock();
    try {
      if (!joined) {
        if (event.kind() == Event.Kind.JOINED
            && event.room().equals(chat.room)
            && event.from().equals(chat.client.clientId())) {
          joined = true;
          chat.changed.signalAll();
        } else if (event.kind() == Event.Kind.ERROR) {
          // The first ERROR before our JOINED answers the JOIN: the room is refused.
          permanent =
              new ProtocolException(
                  Reason.NOT_PERMITTED,
                  event.text()); // "room 'dev' is not permitted for this client; …"
          chat.listener.onEvent(event);
          end(event.text(), permanent);
          return;
        }
      }
    } finally {
      chat.lock.unlock();
    }
    chat.listener.onEvent(event);
  }

  private void confirm(long token) {
    chat.lock.lock();
    try {
      if (token <= confirmedThrough) {
        return;
      }
      confirmedThrough = token;
      for (Iterator<Line> it = chat.unconfirmed.iterator(); it.hasNext(); ) {
        Line line = it.next();
        if (line.number() > token) {
          break;
        }
        it.remove();
        chat.listener.onSent(line.number(), line.text());
      }
      chat.changed.signalAll();
    } finally {
      chat.lock.unlock();
    }
  }

  private void onClose(SessionMessage.Close close) {
    chat.lock.lock();
    try {
      if (close.code() == SessionMessage.Close.REVOKED) {
        permanent =
            new ProtocolException(
                Reason.REVOKED_KEY, "the server ended the session: " + close.text());
      } else if (close.code() == SessionMessage.Close.NOT_PERMITTED) {
        permanent = new ProtocolException(Reason.NOT_PERMITTED, close.text());
      } else if (close.code() == SessionMessage.Close.LOCKED) {
        permanent =
            new ProtocolException(
                Reason.CLONE_SUSPECTED, "the server ended the session: " + close.text());
      }
      end("the server ended the session: " + close.text(), permanent);
    } finally {
      chat.lock.unlock();
    }
  }

  /** Called with the lock held. */
  private void end(String why, Exception failure) {
    if (ended) {
      return;
    }
    ended = true;
    this.why = why;
    this.failure = failure;
    chat.changed.signalAll();
  }

  private String describe(IOException e) {
    if (e instanceof SocketTimeoutException) {
      return "the server went silent: no answer to " + ChatClient.MISSED_KEEPALIVES + " keepalives";
    }
    return "the connection was lost: " + e.getMessage();
  }

  void release() {
    try {
      connection.release();
    } catch (IOException ignored) {
      // Already closed.
    }
    try {
      reader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
