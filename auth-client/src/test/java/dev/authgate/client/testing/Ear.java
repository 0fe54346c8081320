package dev.authgate.client.testing;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.protocol.session.ChatMessage.Event;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A chat member that records everything it hears, for tests to ask about. */
public final class Ear implements ChatClient.Listener {
  /** Every event, in the order heard. */
  public final List<Event> events = new CopyOnWriteArrayList<>();

  /** How the session ended ("failed" for a failure without text), or null while it lasts. */
  public volatile String endReason;

  @Override
  public void onEvent(Event event) {
    events.add(event);
  }

  @Override
  public void onEnd(String reason, Exception failure) {
    endReason = reason == null ? "failed" : reason;
  }

  /** The messages heard, as {@code from: text}. */
  public List<String> messages() {
    return events.stream()
        .filter(e -> e.kind() == Event.Kind.MESSAGE)
        .map(e -> e.from() + ": " + e.text())
        .toList();
  }

  /** The events of one kind. */
  public List<Event> of(Event.Kind kind) {
    return events.stream().filter(e -> e.kind() == kind).toList();
  }
}
