package dev.authgate.server.cli;

import dev.authgate.server.cluster.RedisTarget;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code serve}'s link to the Redis a cluster of servers shares. */
final class ClusterOptions {
  @Option(
      names = "--redis",
      paramLabel = "URL",
      description =
          "Share penalties with the other servers behind the same load balancer through this"
              + " Redis, e.g. redis://127.0.0.1:6379/0 (default: none, everything stays in this"
              + " process); rediss:// for TLS. Give each server its own --server-id. Best given as"
              + " AUTHGATE_REDIS or in --config, with the password in --redis-password-file, so"
              + " no password is on a command line.")
  String redis;

  @Option(
      names = "--redis-password-file",
      paramLabel = "FILE",
      description =
          "Read Redis's password from FILE (mode 0600 or 0400; e.g. a systemd credential) instead"
              + " of the --redis URL.")
  Path redisPasswordFile;

  /** {@code --redis} with its password file, or null; a malformed one is a usage error. */
  RedisTarget target(CommandLine commandLine) throws IOException {
    if (redis == null) {
      if (redisPasswordFile != null) {
        throw new CommandLine.ParameterException(
            commandLine, "--redis-password-file needs --redis");
      }
      return null;
    }
    RedisTarget target;
    try {
      target = RedisTarget.parse(redis);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(commandLine, e.getMessage());
    }
    return redisPasswordFile == null ? target : target.withPasswordFrom(redisPasswordFile);
  }
}
