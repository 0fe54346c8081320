package dev.authgate.protocol.keyfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.Permissions.SessionKind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PermissionsTest {
  private static final Path FILE = Path.of("keys/sensor-1.keys");
  private static final String KEY =
      "key k1 created=2026-01-01T00:00:00Z stored-key="
          + java.util.Base64.getEncoder().encodeToString(new byte[32])
          + " server-key="
          + java.util.Base64.getEncoder().encodeToString(new byte[32]);

  private static ClientKeys client(Permissions permissions) {
    ScramKeys keys = ScramKeys.fromSaltedPassword(new byte[32]);
    return new ClientKeys(
        "sensor-1",
        List.of(
            new KeyEntry("k1", Instant.parse("2026-01-01T00:00:00Z"), null, null, keys.verifier())),
        permissions);
  }

  @Test
  void anUnrestrictedClientsFileHasNoPermissionsLine_asBeforePermissionsExisted()
      throws KeyFileException {
    String text = client(Permissions.ALL).format();

    assertThat(text).doesNotContain("permissions");
    assertThat(ClientKeys.parse(FILE, text).permissions()).isEqualTo(Permissions.ALL);
  }

  @Test
  void everyLimitRoundTripsThroughTheFile() throws KeyFileException {
    Permissions limited =
        new Permissions(
            EnumSet.of(SessionKind.UPLOAD, SessionKind.CHAT),
            List.of("ops", "sensors-*"),
            1_048_576L,
            10_485_760L,
            Instant.parse("2027-01-01T00:00:00Z"));

    String text = client(limited).format();

    assertThat(text)
        .contains(
            "\npermissions sessions=chat,upload rooms=ops,sensors-* max-file=1048576"
                + " quota=10485760 expires=2027-01-01T00:00:00Z\n");
    assertThat(ClientKeys.parse(FILE, text).permissions()).isEqualTo(limited);
  }

  @Test
  void noSessionsAndNoRoomsAreWrittenAsNone() throws KeyFileException {
    Permissions nothing =
        Permissions.ALL.withSessions(EnumSet.noneOf(SessionKind.class)).withRooms(List.of());

    String text = client(nothing).format();

    assertThat(text).contains("permissions sessions=none rooms=none\n");
    Permissions parsed = ClientKeys.parse(FILE, text).permissions();
    assertThat(parsed).isEqualTo(nothing);
    assertThat(parsed.allows(SessionKind.PING)).isFalse();
    assertThat(parsed.allowsRoom("lobby")).isFalse();
  }

  @Test
  void roomPatternsAreNamesOrPrefixes() {
    Permissions p = Permissions.ALL.withRooms(List.of("ops", "sensors-*"));

    assertThat(p.allowsRoom("ops")).isTrue();
    assertThat(p.allowsRoom("ops2")).isFalse();
    assertThat(p.allowsRoom("sensors-")).isTrue();
    assertThat(p.allowsRoom("sensors-east")).isTrue();
    assertThat(p.allowsRoom("sensor")).isFalse();
    assertThat(Permissions.ALL.allowsRoom("anything")).isTrue();
    assertThat(Permissions.ALL.withRooms(List.of("*")).allowsRoom("anything")).isTrue();
  }

  @Test
  void expiryIsInclusiveOfItsInstant() {
    Instant at = Instant.parse("2027-01-01T00:00:00Z");
    Permissions p = Permissions.ALL.withExpires(at);

    assertThat(p.expiredAt(at.minusMillis(1))).isFalse();
    assertThat(p.expiredAt(at)).isTrue();
    assertThat(Permissions.ALL.expiredAt(Instant.MAX)).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown kind | permissions sessions=ping,ftp | :4: 'ftp' is not a session kind",
        "unknown attribute | permissions colour=red | :4: unknown permissions attribute 'colour'",
        "bad room | permissions rooms=ops,a/b | :4: room pattern 'a/b' must be",
        "empty room | permissions rooms=ops, | :4: room pattern '' must be",
        "negative size | permissions quota=-1 | :4: quota must be a number of bytes",
        "size with unit | permissions max-file=10M | :4: max-file must be a number of bytes",
        "bad instant | permissions expires=soon | :4: expires is not an ISO-8601 instant",
        "no equals | permissions sessions | :4: expected distinct name=value attributes",
        "twice | permissions quota=1\\npermissions quota=2 | :5: a second permissions line",
      })
  void aMalformedPermissionsLineNamesTheFileAndLine(String name, String line, String message) {
    String text =
        "authgate-verifiers 1\nclient-id sensor-1\n" + KEY + "\n" + line.replace("\\n", "\n");

    assertThatThrownBy(() -> ClientKeys.parse(FILE, text))
        .isInstanceOf(KeyFileException.class)
        .hasMessageStartingWith("keys/sensor-1.keys")
        .hasMessageContaining(message);
  }
}
