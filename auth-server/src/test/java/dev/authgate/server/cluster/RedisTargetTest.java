package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisTargetTest {
  @Test
  void hostPortAndDatabaseAreReadWithRedisDefaults() {
    assertThat(RedisTarget.parse("redis://10.0.0.7:6380/3"))
        .isEqualTo(new RedisTarget("10.0.0.7", 6380, 3, null, null));
    assertThat(RedisTarget.parse("redis://cache.lan"))
        .isEqualTo(new RedisTarget("cache.lan", 6379, 0, null, null));
    assertThat(RedisTarget.parse("redis://[::1]:7000/0").host()).isEqualTo("::1");
    assertThat(RedisTarget.parse("redis://[::1]:7000/0")).hasToString("redis://[::1]:7000/0");
  }

  @Test
  void credentialsAreKeptForConnectingButNeverShown() {
    RedisTarget target = RedisTarget.parse("redis://gate:s3cr%40t@10.0.0.7:6379/1");

    assertThat(target.user()).isEqualTo("gate");
    assertThat(target.password()).isEqualTo("s3cr@t");
    assertThat(target.toString()).isEqualTo("redis://10.0.0.7:6379/1").doesNotContain("s3cr");
    assertThat(RedisTarget.parse("redis://:only-password@h/0").user()).isNull();
  }

  @Test
  void anythingElseIsAUsageErrorThatNamesTheRightForm() {
    assertThatThrownBy(() -> RedisTarget.parse("10.0.0.7:6379")).hasMessageContaining("redis://");
    assertThatThrownBy(() -> RedisTarget.parse("unix:///run/redis.sock"))
        .hasMessageContaining("rediss://");
    assertThatThrownBy(() -> RedisTarget.parse("redis://h/sixteen")).hasMessageContaining("0-15");
    assertThatThrownBy(() -> RedisTarget.parse("redis://h/16")).hasMessageContaining("0-15");
    assertThatThrownBy(() -> RedisTarget.parse("redis://:secret@/0"))
        .hasMessageContaining("needs a host")
        .message()
        .doesNotContain("secret");
  }

  @Test
  void redissMeansTls() {
    RedisTarget target = RedisTarget.parse("rediss://:pw@cache.lan:6380/2");

    assertThat(target.tls()).isTrue();
    assertThat(target).hasToString("rediss://cache.lan:6380/2");
    assertThat(RedisTarget.parse("redis://cache.lan").tls()).isFalse();
  }

  @Test
  void thePasswordCanComeFromAPrivateFileSoItIsOnNoCommandLine(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("redis-password");
    Files.writeString(file, "fr0m-a-file\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));

    RedisTarget target = RedisTarget.parse("rediss://gate:@cache.lan/0").withPasswordFrom(file);

    assertThat(target.password()).isEqualTo("fr0m-a-file");
    assertThat(target.user()).isEqualTo("gate");
    assertThat(target.tls()).isTrue();
    assertThat(target.toString()).doesNotContain("fr0m");

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> RedisTarget.parse("redis://h/0").withPasswordFrom(file))
        .hasMessageContaining("chmod 600")
        .message()
        .doesNotContain("fr0m");
  }
}
