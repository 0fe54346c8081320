package dev.authgate.server.chat;

import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection's presence in chat: its authenticated id, the room it is in, and a bounded queue
 * of events drained to its socket by a virtual thread of its own. {@link #offer} never blocks: a
 * full queue means the member stopped reading, and it is dropped.
 *
 * <p>Thread-safe.
 */
public final class ChatMember {
  /** Events written in one batch at most (~100 bytes each for a typical chat line). */
  private static final int MAX_BATCH = 64;

  private final String clientId;
  private final String connectionId;
  private final SecureChannel channel;
  private final BlockingQueue<SessionMessage> queue;
  private final int capacity;
  private final Runnable closeConnection;
  private final Runnable finalWordsWritten;
  private final AtomicBoolean dropped = new AtomicBoolean();
  private final AtomicLong sent = new AtomicLong();
  private final java.util.concurrent.locks.ReentrantLock drainLock =
      new java.util.concurrent.locks.ReentrantLock();
  private final java.util.concurrent.locks.Condition drained = drainLock.newCondition();
  private volatile Room room;
  private volatile boolean closed;
  private volatile boolean speakOnly;

  /**
   * Where this member's room events (messages, joins, leaves) go instead of the session, or null: a
   * datagram channel that asked for them. Returns false for an event it cannot carry (too big),
   * which then goes over the session.
   */
  private volatile java.util.function.Predicate<Event> datagrams;

  /** Sends this member's room events through {@code sink} from now on; null: over the session. */
  void deliverRoomEventsTo(java.util.function.Predicate<Event> sink) {
    this.datagrams = sink;
  }

  /**
   * @param clientId the authenticated client id
   * @param connectionId the connection's audit id
   * @param channel the session to write to
   * @param capacity events that may wait to be written
   * @param closeConnection ends the connection (after a grace for a final notice)
   * @param finalWordsWritten called once a dropped member's final notice and CLOSE are written
   */
  ChatMember(
      String clientId,
      String connectionId,
      SecureChannel channel,
      int capacity,
      Runnable closeConnection,
      Runnable finalWordsWritten) {
    this.clientId = clientId;
    this.connectionId = connectionId;
    this.channel = channel;
    this.capacity = capacity;
    // Two extra places: a dropped member's final notice and CLOSE always fit.
    this.queue = new ArrayBlockingQueue<>(capacity + 2);
    this.closeConnection = closeConnection;
    this.finalWordsWritten = finalWordsWritten;
    Thread.ofVirtual().name("chat-writer-" + connectionId).start(this::drain);
  }

  /** The authenticated client id; the only name other members ever see. */
  String clientId() {
    return clientId;
  }

  String connectionId() {
    return connectionId;
  }

  Room room() {
    return room;
  }

  /** The room this member is in, or null. Safe from any thread. */
  String roomName() {
    Room now = room;
    return now == null ? null : now.name();
  }

  void room(Room newRoom) {
    room = newRoom;
  }

  /**
   * Whether this member joined to speak only (CHAT_JOIN flag bit 0): the room's events are not
   * queued for it, only answers to its own requests, so it can never fall behind the room.
   */
  boolean speakOnly() {
    return speakOnly;
  }

  /** As the member's last CHAT_JOIN asked; set before it is added to a room. */
  void speakOnly(boolean only) {
    speakOnly = only;
  }

  /**
   * Queues an event for this member.
   *
   * @return false if the queue is full (the member has fallen behind) or the member is gone
   */
  boolean offer(Event event) {
    if (dropped.get() || closed) {
      return false;
    }
    return queue.size() < capacity && queue.offer(event);
  }

  /** Queues a reply to this member's own request; a full queue drops the member as well. */
  void reply(Event event) {
    if (!offer(event)) {
      drop("its outbound queue is full");
    }
  }

  /**
   * Drops a member that fell behind: its queue is cleared, a final notice and CLOSE are queued, and
   * the connection is closed shortly after whether or not they could be written.
   */
  void drop(String why) {
    if (!dropped.compareAndSet(false, true)) {
      return;
    }
    queue.clear();
    queue.offer(
        new Event(
            Event.Kind.NOTICE,
            System.currentTimeMillis(),
            "",
            "",
            "dropped from chat: " + why + " (you stopped reading)"));
    queue.offer(new SessionMessage.Close(SessionMessage.Close.SLOW, "too slow"));
    closeConnection.run();
  }

  /** Whether more than half of this member's queue is waiting. */
  boolean backlogged() {
    return queue.size() > capacity / 2;
  }

  /**
   * Waits until at most half of this member's queue is waiting, for up to {@code max}.
   *
   * @return false if the member did not drain in time: it has stopped reading
   */
  boolean awaitDrain(java.time.Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    drainLock.lock();
    try {
      while (backlogged() && !dropped.get() && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        drained.awaitNanos(left);
      }
      return true;
    } finally {
      drainLock.unlock();
    }
  }

  private void signalDrained() {
    drainLock.lock();
    try {
      drained.signalAll();
    } finally {
      drainLock.unlock();
    }
  }

  /** Whether this member was dropped for falling behind. */
  boolean dropped() {
    return dropped.get();
  }

  /** Events written to this member's socket. */
  long sent() {
    return sent.get();
  }

  /**
   * Hands the room events of {@code batch} to the datagram channel, if there is one; returns what
   * is left for the session, in order.
   */
  private List<SessionMessage> overDatagrams(List<SessionMessage> batch) {
    java.util.function.Predicate<Event> sink = datagrams;
    if (sink == null || dropped.get()) {
      return batch;
    }
    List<SessionMessage> rest = new ArrayList<>(batch.size());
    for (SessionMessage message : batch) {
      if (message instanceof Event event
          && (event.kind() == Event.Kind.MESSAGE
              || event.kind() == Event.Kind.JOINED
              || event.kind() == Event.Kind.LEFT)
          && sink.test(event)) {
        continue;
      }
      rest.add(message);
    }
    return rest;
  }

  /** Stops the writer; queued events are discarded. */
  void close() {
    closed = true;
    queue.offer(new SessionMessage.Ping(-1));
  }

  /**
   * Writes the queue to the socket: whatever queued up while the last write was under way goes out
   * as one write (each event still its own sealed frame, in order), so a member of a busy room
   * costs one system call per batch, not per event. A quiet room still writes each event at once.
   */
  private void drain() {
    List<SessionMessage> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (true) {
        batch.clear();
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
        signalDrained();
        if (closed && !dropped.get()) {
          return;
        }
        int end = batch.size();
        for (int i = 0; i < batch.size(); i++) {
          if (batch.get(i) instanceof SessionMessage.Close) {
            end = i + 1;
            break;
          }
        }
        boolean closing = batch.get(end - 1) instanceof SessionMessage.Close;
        List<SessionMessage> overSession = overDatagrams(batch.subList(0, end));
        if (!overSession.isEmpty()) {
          channel.sendAll(overSession);
        }
        sent.addAndGet(closing ? end - 1 : end);
        if (closing) {
          finalWordsWritten.run();
          return;
        }
      }
    } catch (IOException e) {
      // The connection is gone; its thread reports how the session ended.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
