package dev.authgate.server.chat;

/**
 * Chat settings. Immutable.
 *
 * @param history messages replayed to a member who joins a room
 * @param queue events that may wait for one member before it is dropped as too slow
 */
public record ChatLimits(int history, int queue) {
  /** Validates the limits. */
  public ChatLimits {
    if (history < 0 || queue < 1) {
      throw new IllegalArgumentException("chat history must be >= 0 and the queue >= 1");
    }
  }

  /** 20 messages of history, 256 queued events per member. */
  public static ChatLimits defaults() {
    return new ChatLimits(20, 256);
  }
}
