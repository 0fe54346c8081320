package dev.authgate.server.datagram;

import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.session.VerifiedSession;
import java.io.IOException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One verified session's datagram channel: opened by DATAGRAM_OPEN (closing the one before),
 * reported by DATAGRAM_STATUS, closed when the session ends; opening and closing are audited. What
 * travels on it is the chat room's: lines in, the room's events out, handed over through {@link
 * Chat} so that this package knows no chat.
 *
 * <p>Driven by the connection's thread, except {@link Chat#say}, which the datagram thread calls.
 */
public final class DatagramSession {
  /** The chat side of a datagram channel. */
  public interface Chat {
    /** A line that opened on the channel; false drops it. On the datagram thread: never waits. */
    boolean say(byte[] line);

    /** Sends the room's events to {@code sink} from now on, or stops when it is null. */
    void deliverEventsTo(Predicate<Event> sink);
  }

  private final DatagramEndpoint endpoint;
  private final VerifiedSession session;
  private final Supplier<byte[]> datagramSecret;
  private final int perSecond;
  private final Chat chat;
  private volatile Channel open;

  /**
   * @param endpoint the server's datagram endpoint, or null if it takes no datagrams
   * @param datagramSecret the session's datagram secret, from which each channel's keys come; read
   *     only when a channel opens
   * @param perSecond the rate each channel is allowed, told to the client
   */
  public DatagramSession(
      DatagramEndpoint endpoint,
      VerifiedSession session,
      Supplier<byte[]> datagramSecret,
      int perSecond,
      Chat chat) {
    this.endpoint = endpoint;
    this.session = session;
    this.datagramSecret = datagramSecret;
    this.perSecond = perSecond;
    this.chat = chat;
  }

  /**
   * Opens this session's channel (closing any open one): its keys come from the session's datagram
   * secret and the new channel's random id. Answered with DATAGRAM_OPENED, port 0 if this server
   * takes no datagrams or has as many channels open as it may.
   *
   * @param events whether the room's events go out on the channel too
   */
  public void open(boolean events) throws IOException {
    close("reopened");
    Channel opened = endpoint == null ? null : endpoint.open(datagramSecret.get(), this::onMessage);
    if (opened == null) {
      session.channel().send(new DatagramControl.Opened(new byte[8], 0, 0));
      return;
    }
    open = opened;
    if (events) {
      chat.deliverEventsTo(
          event -> opened.send(Channel.EVENT, event.body()) != Channel.Sent.TOO_BIG);
    }
    session.audit(
        session
            .event(AuditEventType.DATAGRAM_OPENED)
            .with("udp_port", endpoint.port())
            .with("events", events));
    session.channel().send(new DatagramControl.Opened(opened.id(), endpoint.port(), perSecond));
  }

  /** Answers DATAGRAM_STATUS with the open channel's counts (none open: zeros, highest -1). */
  public void status() throws IOException {
    Channel now = open;
    session
        .channel()
        .send(
            now == null
                ? new DatagramControl.Counts(0, -1, 0)
                : new DatagramControl.Counts(now.received(), now.highest(), now.dropped()));
  }

  /** A message that opened on this session's channel; on the datagram thread, never waiting. */
  private boolean onMessage(Channel.Message message) {
    return switch (message.type()) {
      case Channel.SAY -> chat.say(message.body());
      case Channel.CREDIT -> true;
      default -> false;
    };
  }

  /** Closes the open channel, if any, and audits {@code datagram.closed} with its counts. */
  public void close(String outcome) {
    Channel closing = open;
    if (closing == null) {
      return;
    }
    open = null;
    chat.deliverEventsTo(null);
    endpoint.close(closing);
    AuditEvent event = session.event(AuditEventType.DATAGRAM_CLOSED).with("outcome", outcome);
    closing.counts().forEach(event::with);
    session.audit(event);
  }
}
