package dev.authgate.server.cli;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.JsonLinesAuditLog;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code auth-server keys}: provision, list and revoke client keys. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Provision, list and revoke client keys in the keystore directory.",
    subcommands = {
      KeysCommand.Add.class,
      KeysCommand.List.class,
      KeysCommand.Rotate.class,
      KeysCommand.Revoke.class,
      KeysCommand.Reinstate.class
    })
final class KeysCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: add, list, rotate, revoke or reinstate");
  }

  /** The client that gets a new key, and where its credential goes (rotate, reinstate). */
  static final class NewKey {
    @Parameters(paramLabel = "ID", description = "Client id")
    String clientId;

    @Option(
        names = "--out",
        paramLabel = "FILE",
        description = "Where to write the new credential (default: ID.credential; - for stdout).")
    String out;

    CredentialOut target() throws IOException {
      return CredentialOut.of(out, clientId);
    }
  }

  /** Options every keys subcommand takes. */
  static final class KeystoreOption {
    @Option(
        names = "--keys",
        paramLabel = "DIR",
        defaultValue = "keys",
        description = "Keystore directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    KeystoreDirectory open() {
      return new KeystoreDirectory(dir, Clock.systemUTC(), RandomSource.secure());
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Provision a new client: verifiers go to the keystore, the secret to FILE.")
  static final class Add implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "Client id: 1-64 of A-Z a-z 0-9 . _ -")
    String clientId;

    @Option(
        names = "--out",
        paramLabel = "FILE",
        description =
            "Where to write the client credential (default: ID.credential; - for stdout).")
    String out;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      dir.requireNotRevoked(clientId, KeystoreDirectory.ADD_REVOKED);
      CredentialOut target = CredentialOut.of(out, clientId);
      Credential credential = dir.add(clientId);
      target.write(
          credential,
          spec.commandLine().getOut(),
          () ->
              Files.deleteIfExists(dir.path().resolve(ClientKeys.fileName(credential.clientId()))));
      PrintWriter stderr = spec.commandLine().getErr();
      stderr.println(
          "provisioned client '"
              + clientId
              + "' key "
              + credential.keyId()
              + " ("
              + credential.scramKeys().verifier().fingerprint()
              + ") in "
              + dir.path());
      target.report(stderr, "copy it to the client machine, then delete it here");
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List clients, key ids, state, creation time and fingerprint (never a secret).")
  static final class List implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON array of keys on stdout instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      PrintWriter stdout = spec.commandLine().getOut();
      KeystoreSnapshot snapshot = keystore.open().load();
      java.time.Instant now = java.time.Instant.now();
      java.util.List<String[]> rows = new java.util.ArrayList<>();
      snapshot.clients().values().stream()
          .sorted(Comparator.comparing(ClientKeys::clientId))
          .forEach(
              client -> {
                for (KeyEntry key : client.keys()) {
                  rows.add(
                      new String[] {
                        client.clientId(),
                        key.keyId(),
                        key.statusAt(now).name().toLowerCase(java.util.Locale.ROOT),
                        String.valueOf(key.created()),
                        key.revoked() != null || key.expires() == null
                            ? "-"
                            : String.valueOf(key.expires()),
                        key.verifier().fingerprint()
                      });
                }
              });
      if (json) {
        printJson(stdout, rows);
      } else {
        printTable(
            stdout,
            new String[] {"CLIENT", "KEY", "STATE", "CREATED", "UNTIL", "FINGERPRINT"},
            rows);
      }
      stdout.flush();
      for (KeystoreSnapshot.Skipped skipped : snapshot.skipped()) {
        spec.commandLine().getErr().println("auth-server: skipped " + skipped.problem());
      }
      return 0;
    }

    private static void printJson(PrintWriter out, java.util.List<String[]> rows)
        throws IOException {
      com.fasterxml.jackson.databind.ObjectMapper mapper =
          new com.fasterxml.jackson.databind.ObjectMapper();
      com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
      for (String[] row : rows) {
        com.fasterxml.jackson.databind.node.ObjectNode key = array.addObject();
        key.put("client_id", row[0]);
        key.put("key_id", row[1]);
        key.put("state", row[2]);
        key.put("created", row[3]);
        if (row[4].equals("-")) {
          key.putNull("until");
        } else {
          key.put("until", row[4]);
        }
        key.put("fingerprint", row[5]);
      }
      out.println(mapper.writeValueAsString(array));
    }

    /** Columns as wide as their widest cell, so long ids never shift the others. */
    private static void printTable(
        PrintWriter out, String[] header, java.util.List<String[]> rows) {
      int[] widths = new int[header.length];
      for (String[] row :
          java.util.stream.Stream.concat(
                  java.util.stream.Stream.<String[]>of(header), rows.stream())
              .toList()) {
        for (int i = 0; i < row.length; i++) {
          widths[i] = Math.max(widths[i], row[i].length());
        }
      }
      for (String[] row :
          java.util.stream.Stream.concat(
                  java.util.stream.Stream.<String[]>of(header), rows.stream())
              .toList()) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
          line.append(
              i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
        }
        out.println(line.toString().stripTrailing());
      }
    }
  }

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description =
          "Add a new key for a client; its other keys keep working until the grace period ends.")
  static final class Rotate implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Mixin NewKey newKey;

    @Option(
        names = "--grace",
        paramLabel = "DURATION",
        defaultValue = "24h",
        converter = DurationConverter.class,
        description = "How long the old keys keep working (default: ${DEFAULT-VALUE}).")
    java.time.Duration grace;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      dir.requireNotRevoked(newKey.clientId, KeystoreDirectory.ROTATE_REVOKED);
      CredentialOut target = newKey.target();
      KeystoreDirectory.Rotation rotation = dir.rotate(newKey.clientId, grace);
      Credential credential = rotation.credential();
      target.write(
          credential, spec.commandLine().getOut(), () -> dir.undo(newKey.clientId, rotation));
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "rotated client '"
              + newKey.clientId
              + "': new key "
              + credential.keyId()
              + " ("
              + credential.scramKeys().verifier().fingerprint()
              + "); older keys work until "
              + rotation.oldKeysUntil());
      target.report(err, "install it on the client before the grace period ends");
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke every key of a client; its connections are refused (revoked-key).")
  static final class Revoke implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "Client id")
    String clientId;

    @Override
    public Integer call() throws IOException {
      int revoked = keystore.open().revoke(clientId);
      spec.commandLine()
          .getErr()
          .println(
              "revoked "
                  + revoked
                  + " key(s) of client '"
                  + clientId
                  + "'; a running server refuses them and closes their sessions within seconds");
      return 0;
    }
  }

  @Command(
      name = "reinstate",
      mixinStandardHelpOptions = true,
      description = {
        "Give a revoked client a new key, letting its id in again. The only way to do that:",
        "'add' and 'rotate' refuse a revoked id. Written to the audit log as keys.reinstated."
      })
  static final class Reinstate implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Mixin NewKey newKey;

    @Option(
        names = "--audit-log",
        paramLabel = "FILE",
        defaultValue = "logs/audit.jsonl",
        description = "The server's audit log, appended to (default: ${DEFAULT-VALUE}).")
    Path auditLog;

    @Override
    public Integer call() throws IOException {
      CredentialOut target = newKey.target();
      // Opened first: a reinstatement that cannot be audited does not happen.
      try (JsonLinesAuditLog audit = JsonLinesAuditLog.open(auditLog, Clock.systemUTC())) {
        KeystoreDirectory dir = keystore.open();
        KeystoreDirectory.Rotation rotation = dir.reinstate(newKey.clientId);
        Credential credential = rotation.credential();
        target.write(
            credential, spec.commandLine().getOut(), () -> dir.undo(newKey.clientId, rotation));
        String fingerprint = credential.scramKeys().verifier().fingerprint();
        audit.record(
            AuditEvent.of("keys.reinstated")
                .with("client_id", newKey.clientId)
                .with("key_id", credential.keyId())
                .with("fingerprint", fingerprint)
                .with("operator", System.getProperty("user.name")));
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            "reinstated client '"
                + newKey.clientId
                + "' with new key "
                + credential.keyId()
                + " ("
                + fingerprint
                + "); its revoked keys stay refused; audited in "
                + auditLog);
        target.report(err, "copy it to the client machine, then delete it here");
      }
      return 0;
    }
  }
}
