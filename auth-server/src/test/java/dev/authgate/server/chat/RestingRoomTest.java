package dev.authgate.server.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.protocol.crypto.DirectionKeys;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.SessionKeys;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A room's history outlives its last member for {@link ChatRooms#REST}: a machine that reconnects
 * to a room everyone left a minute ago is replayed what was said; an hour later it is not.
 */
class RestingRoomTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private final SessionKeys keys =
      new SessionKeys(
          new DirectionKeys(RANDOM.bytes(32), RANDOM.bytes(12)),
          new DirectionKeys(RANDOM.bytes(32), RANDOM.bytes(12)));
  private Instant now = Instant.parse("2026-12-07T10:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };
  private final ChatRooms rooms = new ChatRooms(20, event -> {}, clock);

  /** A member whose socket is a buffer: what it was sent can be read back. */
  private final class Member {
    final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    final ChatMember member;

    Member(String id) {
      SecureChannel channel =
          SecureChannel.server(
              new ByteArrayInputStream(new byte[0]),
              new ByteArrayOutputStream() {
                @Override
                public synchronized void write(byte[] b, int off, int len) {
                  wire.write(b, off, len);
                }
              },
              keys);
      member = new ChatMember(id, "conn-" + id, channel, 64, () -> {}, () -> {});
    }

    List<String> history(int atLeastEvents) throws IOException {
      await().until(() -> member.sent() >= atLeastEvents);
      SecureChannel reader =
          SecureChannel.client(
              new ByteArrayInputStream(wire.toByteArray()), new ByteArrayOutputStream(), keys);
      List<String> replayed = new ArrayList<>();
      while (true) {
        SessionMessage message;
        try {
          message = reader.receive();
        } catch (EOFException end) {
          return replayed;
        }
        if (message instanceof Event e && e.kind() == Event.Kind.HISTORY) {
          replayed.add(e.from() + ": " + e.text());
        }
      }
    }
  }

  private void saidAndLeft(String room) throws InterruptedException {
    saidAndLeft(room, 2);
  }

  private void saidAndLeft(String room, int messages) throws InterruptedException {
    Member speaker = new Member("sensor-1");
    rooms.join(speaker.member, room, false);
    for (int i = 0; i < messages; i++) {
      rooms.say(speaker.member, "temp=21." + (5 + 2 * i));
    }
    rooms.leave(speaker.member, "disconnected");
    speaker.member.close();
  }

  @Test
  void aMemberWhoJoinsAnEmptiedRoomWithinTheHourIsReplayedItsHistory() throws Exception {
    saidAndLeft("plant");
    assertThat(rooms.rooms()).isEmpty(); // an empty room is not listed

    now = now.plus(ChatRooms.REST).minusSeconds(1);
    Member late = new Member("sensor-2");
    rooms.join(late.member, "plant", false);

    assertThat(late.history(3)).containsExactly("sensor-1: temp=21.5", "sensor-1: temp=21.7");
  }

  @Test
  void afterTheHourTheHistoryIsForgotten() throws Exception {
    saidAndLeft("plant");

    now = now.plus(ChatRooms.REST).plusSeconds(1);
    Member late = new Member("sensor-2");
    rooms.join(late.member, "plant", false);

    assertThat(late.history(1)).isEmpty();
  }

  @Test
  void theRestingHistoryHasABudgetInMessagesTooTheLongestEmptyForgottenFirst() throws Exception {
    int rooms20 = ChatRooms.MOST_RESTING_MESSAGES / 20;
    for (int i = 0; i <= rooms20; i++) {
      saidAndLeft("room-" + i, 20); // one room more than 20-message histories fit
    }

    Member first = new Member("a");
    rooms.join(first.member, "room-0", false);
    Member second = new Member("b");
    rooms.join(second.member, "room-1", false);

    assertThat(first.history(1)).isEmpty();
    assertThat(second.history(21)).hasSize(20);
  }

  @Test
  void atMostAThousandEmptyRoomsAreKeptTheLongestEmptyForgottenFirst() throws Exception {
    for (int i = 0; i <= ChatRooms.MOST_RESTING; i++) {
      saidAndLeft("room-" + i);
    }

    Member first = new Member("a");
    rooms.join(first.member, "room-0", false);
    Member last = new Member("b");
    rooms.join(last.member, "room-" + ChatRooms.MOST_RESTING, false);

    assertThat(first.history(1)).isEmpty();
    assertThat(last.history(3)).hasSize(2);
  }
}
