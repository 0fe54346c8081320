package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.text.Sizes;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.PermissionChange;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "set",
    mixinStandardHelpOptions = true,
    description =
        "Change what a client may do: session kinds, chat rooms, largest file, upload quota,"
            + " expiry, how often it rotates its own key. Options not given stay as they are. A running server applies the change"
            + " within seconds, at each client's next request. Audited as keys.permissions.")
final class SetCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Client id")
  String clientId;

  @Option(
      names = "--sessions",
      paramLabel = "KINDS",
      description =
          "Session kinds it may open: ping,chat,upload,download (any of them), all or none.")
  String sessions;

  @Option(
      names = "--rooms",
      paramLabel = "ROOMS",
      description =
          "Chat rooms it may join: names and prefixes ending in * (ops,sensors-*), all or none.")
  String rooms;

  @Option(
      names = "--max-file",
      paramLabel = "SIZE",
      description = "Its largest file (100M, 2G), or 'default' for the server's --max-file-size.")
  String maxFile;

  @Option(
      names = "--quota",
      paramLabel = "SIZE",
      description = "What its stored files may take in all, or 'default' for the server's --quota.")
  String quota;

  @Option(
      names = "--expires",
      paramLabel = "WHEN",
      description =
          "When it stops being let in: a duration from now (90d), an instant"
              + " (2027-01-01T00:00:00Z), or 'never'. Refused then as expired-key.")
  String expires;

  @Option(
      names = "--rotate-every",
      paramLabel = "DURATION",
      description =
          "Ask it to rotate its own key this often (30d, 12h): at its next session once its key is"
              + " that old it makes a new secret and sends only the verifiers; a copy of the old"
              + " credential then gives itself away. 'default' for the server's --rotate-every,"
              + " 'never' to exempt it from that (a machine that cannot rotate).")
  String rotateEvery;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    if (sessions == null
        && rooms == null
        && maxFile == null
        && quota == null
        && expires == null
        && rotateEvery == null) {
      throw new ParameterException(
          spec.commandLine(),
          "nothing to set: give --sessions, --rooms, --max-file, --quota, --expires or"
              + " --rotate-every");
    }
    UnaryOperator<Permissions> change = parse();
    Duration every = rotation();
    KeystoreDirectory dir = keystore.open();
    {
      Permissions[] beforeAfter =
          auditLog.audited(
              dir,
              () -> {
                return change()
                    .event(clientId, change.apply(dir.settings().permissionsOf(clientId)));
              },
              () -> {
                Permissions[] changed = dir.settings().setPermissions(clientId, change);
                if (rotateEvery != null) {
                  dir.settings().setRotateEvery(clientId, every);
                }
                return changed;
              });
      Permissions now = beforeAfter[1];
      spec.commandLine()
          .getErr()
          .println(
              "client '"
                  + clientId
                  + "' may now: "
                  + describe(now)
                  + rotationSaid(every)
                  + "; a running server applies it within seconds; audited in "
                  + auditLog.file);
    }
    return 0;
  }

  /** What the summary line says of {@code --rotate-every}, if it was given. */
  private String rotationSaid(Duration every) {
    if (rotateEvery == null) {
      return "";
    }
    if (every == null) {
      return "; rotates its key as the server's --rotate-every says";
    }
    return every.isZero()
        ? "; never asked to rotate its key"
        : "; rotates its key every " + rotateEvery;
  }

  /** The change, or a usage error naming the bad value (before anything is opened). */
  private UnaryOperator<Permissions> parse() {
    try {
      return change().permissions(java.time.Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** The --rotate-every policy (null: the server's default), or a usage error. */
  private Duration rotation() {
    try {
      return change().rotation();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private PermissionChange change() {
    return new PermissionChange(sessions, rooms, maxFile, quota, expires, rotateEvery);
  }

  private static java.util.List<String> kinds(Permissions p) {
    return java.util.Arrays.stream(Permissions.SessionKind.values())
        .filter(p::allows)
        .map(Permissions.SessionKind::label)
        .toList();
  }

  /** "ping, upload sessions; rooms ops, dev-*; largest file 10 MiB; ..." */
  static String describe(Permissions p) {
    java.util.List<String> kinds = kinds(p);
    return (kinds.isEmpty() ? "no sessions" : String.join(", ", kinds) + " sessions")
        + "; rooms "
        + (p.rooms() == null ? "all" : p.rooms().isEmpty() ? "none" : String.join(", ", p.rooms()))
        + "; largest file "
        + (p.maxFileSize() == null ? "the server's" : Sizes.human(p.maxFileSize()))
        + "; quota "
        + (p.quota() == null ? "the server's" : Sizes.human(p.quota()))
        + "; expires "
        + (p.expires() == null ? "never" : p.expires().toString());
  }
}
