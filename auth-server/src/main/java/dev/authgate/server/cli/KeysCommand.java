package dev.authgate.server.cli;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.text.TerminalText;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.JsonLinesAuditLog;
import dev.authgate.server.keystore.HostKeys;
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
      KeysCommand.Reinstate.class,
      KeysCommand.Set.class,
      KeysCommand.Token.class,
      KeysCommand.Approve.class,
      KeysCommand.Deny.class,
      KeysCommand.Init.class,
      KeysCommand.HostKey.class
    })
final class KeysCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(),
        "missing subcommand: init, add, list, rotate, revoke, reinstate, set, token, approve, deny"
            + " or host-key");
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

    @Option(
        names = "--config",
        paramLabel = "FILE",
        description =
            "The server's properties file: its keys= and audit-log= become this command's"
                + " defaults (e.g. /etc/authgate/authgate.properties).")
    Path config;

    KeystoreDirectory open() {
      return new KeystoreDirectory(dir, Clock.systemUTC(), RandomSource.secure());
    }

    HostKeys hostKeys() {
      return new HostKeys(dir, System.getenv(), Clock.systemUTC(), RandomSource.secure());
    }

    /**
     * Makes the host key if there is none (audited first, as every keystore change), and returns
     * it: the first {@code keys init} or {@code keys add} on a server gives it its identity.
     */
    HostKeyInfo ensureHostKey(AuditLogOption auditLog) throws IOException {
      HostKeys keys = hostKeys();
      if (java.nio.file.Files.exists(keys.location(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return HostKeyInfo.of(keys.load());
      }
      var published = keys.loadPublic();
      if (published.isPresent()) {
        // The service's keys are systemd credentials this shell does not have: pin what serve
        // wrote down, never make a second identity here.
        return new HostKeyInfo(
            published.get().get(0), dir.resolve(HostKeys.PUBLIC_FILE_NAME), false);
      }
      KeystoreDirectory directory = open();
      directory.prepare();
      return HostKeyInfo.of(
          auditLog.audited(
              directory,
              () ->
                  AuditEvent.of(AuditEventType.KEYS_HOST_KEY_CREATED)
                      .with("file", keys.location().toString()),
              keys::loadOrCreate));
    }
  }

  /**
   * The host key a {@code keys} command pins, and where it came from.
   *
   * @param fingerprint its fingerprint
   * @param from the key file, the systemd credential, or {@code KEYS/host.pub}
   * @param created whether this command made it
   */
  record HostKeyInfo(String fingerprint, Path from, boolean created) {
    static HostKeyInfo of(HostKeys.Loaded loaded) {
      return new HostKeyInfo(loaded.fingerprint(), loaded.from(), loaded.created());
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

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      dir.requireNotRevoked(clientId, KeystoreDirectory.ADD_REVOKED);
      CredentialOut target = CredentialOut.of(out, clientId);
      dir.prepare();
      HostKeyInfo hostKey = keystore.ensureHostKey(auditLog);
      Credential credential =
          auditLog.audited(
              dir,
              () -> {
                dir.requireNew(clientId);
                return AuditEvent.of(AuditEventType.KEYS_ADDED)
                    .with("client_id", clientId)
                    .with("key_id", "k1");
              },
              () -> {
                // Written under the keystore's lock: if the credential cannot be saved, the
                // undo cannot undo anyone else's change, and the failure is audited.
                Credential made = dir.add(clientId);
                target.write(
                    made,
                    spec.commandLine().getOut(),
                    () -> Files.deleteIfExists(dir.path().resolve(ClientKeys.fileName(clientId))));
                return made;
              });
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
      stderr.println(
          "the server's host key is "
              + hostKey.fingerprint()
              + (hostKey.created() ? " (made now, " + hostKey.from() + ")" : ""));
      target.report(stderr, "copy it to the client machine, then delete it here");
      return 0;
    }
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      description = {
        "Make the keystore directory (mode 0700) and this server's host key (KEYS/host.key, mode"
            + " 0600) if they are missing; never replaces a key. Prints the host key's"
            + " fingerprint, which machines pin.",
        "With $CREDENTIALS_DIRECTORY/"
            + HostKeys.CREDENTIAL_NAME
            + " (a systemd credential)"
            + " that key is used and nothing is written."
      })
  static final class Init implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Mixin AuditLogOption auditLog;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      HostKeyInfo hostKey = keystore.ensureHostKey(auditLog);
      spec.commandLine().getOut().println(hostKey.fingerprint());
      spec.commandLine()
          .getErr()
          .println(
              (hostKey.created() ? "made the host key " : "the host key is already ")
                  + hostKey.from()
                  + ": "
                  + hostKey.fingerprint());
      return 0;
    }
  }

  @Command(
      name = "host-key",
      mixinStandardHelpOptions = true,
      subcommands = {HostKeyRotate.class, HostKeyRetire.class},
      description = {
        "Print this server's host key fingerprint (SHA256:…), as machines pin it; compare it with"
            + " what a machine shows before trusting it. During a rotation the next key is"
            + " printed too.",
        "Rotation without touching machines: 'host-key rotate' makes the next key, which servers"
            + " announce to every verified machine (each adds it to its credential's pins);"
            + " after an overlap in which every machine has connected, 'host-key retire' makes it"
            + " the host key and tells machines to drop the old one."
      })
  static final class HostKey implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      HostKeys keys = keystore.hostKeys();
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!java.nio.file.Files.exists(keys.location(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        var published = keys.loadPublic();
        if (published.isPresent()) {
          published.get().forEach(out::println);
          err.println(
              "from "
                  + keystore.dir.resolve(HostKeys.PUBLIC_FILE_NAME)
                  + ": the keys are the service's systemd credentials");
          return 0;
        }
      }
      HostKeys.Loaded hostKey = keys.load();
      out.println(hostKey.fingerprint());
      err.println("from " + hostKey.from() + ", made " + hostKey.file().created());
      var next = keys.loadNext();
      if (next.isPresent() && !next.get().key().equals(hostKey.file().key())) {
        out.println(next.get().key().publicKey().fingerprint());
        err.println(
            "next key (a rotation is under way) from "
                + keys.nextLocation()
                + ", made "
                + next.get().created()
                + "; retire the old key with 'auth-server keys host-key retire' once every machine"
                + " has connected");
      }
      for (String retired : hostKey.file().retired()) {
        err.println("retired: " + retired);
      }
      return 0;
    }
  }

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description =
          "Make the next host key (KEYS/host-next.key). Servers sharing this keystore announce it"
              + " to verified machines from their next look (within seconds); keep both until"
              + " every machine has connected, then run 'keys host-key retire'.")
  static final class HostKeyRotate implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Mixin AuditLogOption auditLog;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      HostKeys keys = keystore.hostKeys();
      KeystoreDirectory dir = keystore.open();
      dir.prepare();
      String current = keys.load().fingerprint();
      dev.authgate.protocol.keyfile.HostKeyFile next =
          hostKeyChange(
              () ->
                  auditLog.audited(
                      dir,
                      () ->
                          AuditEvent.of(AuditEventType.KEYS_HOST_KEY_ROTATED)
                              .with("host_key", current)
                              .with("file", keys.nextLocation().toString()),
                      keys::rotate));
      spec.commandLine().getOut().println(next.key().publicKey().fingerprint());
      spec.commandLine()
          .getErr()
          .println(
              "made the next host key "
                  + next.key().publicKey().fingerprint()
                  + " ("
                  + keys.nextLocation()
                  + "); servers sign with "
                  + current
                  + " and announce the next key to every machine that connects. Copy "
                  + keys.nextLocation().getFileName()
                  + " to the other servers of a cluster that do not share this keystore. When"
                  + " every machine has connected, run: auth-server keys host-key retire --keys "
                  + dir.path());
      return 0;
    }
  }

  @Command(
      name = "retire",
      mixinStandardHelpOptions = true,
      description =
          "End a rotation: the next key becomes the host key and the old one is retired (verified"
              + " machines drop it from their pins). A machine that never connected during the"
              + " overlap is refused with a message naming both fingerprints.")
  static final class HostKeyRetire implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Mixin AuditLogOption auditLog;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      HostKeys keys = keystore.hostKeys();
      KeystoreDirectory dir = keystore.open();
      dir.prepare();
      String current = keys.load().fingerprint();
      HostKeys.Retired retired =
          hostKeyChange(
              () ->
                  auditLog.audited(
                      dir,
                      () ->
                          AuditEvent.of(AuditEventType.KEYS_HOST_KEY_RETIRED)
                              .with("retired", current)
                              .with(
                                  "host_key",
                                  keys.loadNext()
                                      .map(n -> n.key().publicKey().fingerprint())
                                      .orElse(null)),
                      keys::retire));
      String now = retired.current().key().publicKey().fingerprint();
      spec.commandLine().getOut().println(now);
      spec.commandLine()
          .getErr()
          .println(
              (retired.fingerprint() == null
                  ? "the rotation had already been finished; removed the leftover next key"
                  : "retired "
                      + retired.fingerprint()
                      + "; servers sign with "
                      + now
                      + " from their next look (copy host.key to the other servers of a cluster"
                      + " that do not share this keystore)"));
      return 0;
    }
  }

  /** Runs a rotation step, turning "not now" into a usage error (exit 2) with its reason. */
  private static <T> T hostKeyChange(AuditLogOption.Change<T> change) throws IOException {
    try {
      return change.apply();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
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
      java.util.List<Permissions> access = new java.util.ArrayList<>();
      snapshot.clients().values().stream()
          .sorted(Comparator.comparing(ClientKeys::clientId))
          .forEach(
              client -> {
                for (KeyEntry key : client.keys()) {
                  access.add(client.permissions());
                  rows.add(
                      new String[] {
                        client.clientId(),
                        key.keyId(),
                        client.isPending() && key.statusAt(now) == KeyStatus.ACTIVE
                            ? "pending"
                            : key.statusAt(now).name().toLowerCase(java.util.Locale.ROOT),
                        String.valueOf(key.created()),
                        key.revoked() != null || key.expires() == null
                            ? "-"
                            : String.valueOf(key.expires()),
                        client.permissions().unrestricted()
                            ? "all"
                            : client.permissions().describe(),
                        key.verifier().fingerprint()
                      });
                }
              });
      if (json) {
        printJson(stdout, rows, access);
      } else {
        printTable(
            stdout,
            new String[] {"CLIENT", "KEY", "STATE", "CREATED", "UNTIL", "ACCESS", "FINGERPRINT"},
            rows);
      }
      stdout.flush();
      for (KeystoreSnapshot.Skipped skipped : snapshot.skipped()) {
        spec.commandLine().getErr().println("auth-server: skipped " + skipped.problem());
      }
      return 0;
    }

    private static void printJson(
        PrintWriter out, java.util.List<String[]> rows, java.util.List<Permissions> access)
        throws IOException {
      com.fasterxml.jackson.databind.ObjectMapper mapper =
          new com.fasterxml.jackson.databind.ObjectMapper();
      com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
      for (int i = 0; i < rows.size(); i++) {
        String[] row = rows.get(i);
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
        // What the client may do: null for "what the server allows" (no limit of its own).
        Permissions p = access.get(i);
        com.fasterxml.jackson.databind.node.ObjectNode a = key.putObject("access");
        com.fasterxml.jackson.databind.node.ArrayNode sessions = a.putArray("sessions");
        for (Permissions.SessionKind kind : Permissions.SessionKind.values()) {
          if (p.allows(kind)) {
            sessions.add(kind.label());
          }
        }
        if (p.rooms() == null) {
          a.putNull("rooms");
        } else {
          p.rooms().forEach(a.putArray("rooms")::add);
        }
        a.put("max_file", p.maxFileSize());
        a.put("quota", p.quota());
        a.put("expires", p.expires() == null ? null : p.expires().toString());
        key.put("fingerprint", row[6]);
      }
      out.println(mapper.writeValueAsString(array));
    }

    /** Columns as wide as their widest cell, so long ids never shift the others. */
    static void printTable(PrintWriter out, String[] header, java.util.List<String[]> rows) {
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

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      dir.requireNotRevoked(newKey.clientId, KeystoreDirectory.ROTATE_REVOKED);
      CredentialOut target = newKey.target();
      KeystoreDirectory.Rotation rotation =
          auditLog.audited(
              dir,
              () ->
                  AuditEvent.of(AuditEventType.KEYS_ROTATED)
                      .with("client_id", newKey.clientId)
                      .with("key_id", dir.nextKeyIdOf(newKey.clientId))
                      .with("grace_s", grace.toSeconds()),
              () -> {
                KeystoreDirectory.Rotation made = dir.rotate(newKey.clientId, grace);
                target.write(
                    made.credential(),
                    spec.commandLine().getOut(),
                    () -> dir.undo(newKey.clientId, made));
                return made;
              });
      Credential credential = rotation.credential();
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

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      int revoked =
          auditLog.audited(
              dir,
              () -> {
                dir.requireClient(clientId);
                return AuditEvent.of(AuditEventType.KEYS_REVOKED).with("client_id", clientId);
              },
              () -> dir.revoke(clientId));
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

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      CredentialOut target = newKey.target();
      KeystoreDirectory dir = keystore.open();
      byte[] secret = RandomSource.secure().bytes(32);
      String fingerprint =
          dev.authgate.protocol.crypto.ScramKeys.fromSaltedPassword(secret)
              .verifier()
              .fingerprint();
      {
        KeystoreDirectory.Rotation rotation =
            auditLog.audited(
                dir,
                () ->
                    AuditEvent.of(AuditEventType.KEYS_REINSTATED)
                        .with("client_id", newKey.clientId)
                        .with("key_id", dir.nextKeyIdOf(newKey.clientId))
                        .with("fingerprint", fingerprint),
                () -> {
                  KeystoreDirectory.Rotation made = dir.reinstate(newKey.clientId, secret);
                  target.write(
                      made.credential(),
                      spec.commandLine().getOut(),
                      () -> dir.undo(newKey.clientId, made));
                  return made;
                });
        Credential credential = rotation.credential();
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            "reinstated client '"
                + newKey.clientId
                + "' with new key "
                + credential.keyId()
                + " ("
                + fingerprint
                + "); its revoked keys stay refused; audited in "
                + auditLog.file);
        target.report(err, "copy it to the client machine, then delete it here");
      }
      return 0;
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description =
          "Change what a client may do: session kinds, chat rooms, largest file, upload quota,"
              + " expiry. Options not given stay as they are. A running server applies the change"
              + " within seconds, at each client's next request. Audited as keys.permissions.")
  static final class Set implements Callable<Integer> {
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
        description =
            "What its stored files may take in all, or 'default' for the server's --quota.")
    String quota;

    @Option(
        names = "--expires",
        paramLabel = "WHEN",
        description =
            "When it stops being let in: a duration from now (90d), an instant"
                + " (2027-01-01T00:00:00Z), or 'never'. Refused then as expired-key.")
    String expires;

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      if (sessions == null
          && rooms == null
          && maxFile == null
          && quota == null
          && expires == null) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "nothing to set: give --sessions, --rooms, --max-file, --quota or --expires");
      }
      java.util.function.UnaryOperator<Permissions> change = parse();
      KeystoreDirectory dir = keystore.open();
      {
        Permissions[] beforeAfter =
            auditLog.audited(
                dir,
                () -> {
                  Permissions after = change.apply(dir.permissionsOf(clientId));
                  return AuditEvent.of(AuditEventType.KEYS_PERMISSIONS)
                      .with("client_id", clientId)
                      .with("sessions", String.join(",", kinds(after)))
                      .with(
                          "rooms", after.rooms() == null ? "all" : String.join(",", after.rooms()))
                      .with("max_file", after.maxFileSize())
                      .with("quota", after.quota())
                      .with("expires", after.expires() == null ? null : after.expires().toString());
                },
                () -> dir.setPermissions(clientId, change));
        Permissions now = beforeAfter[1];
        spec.commandLine()
            .getErr()
            .println(
                "client '"
                    + clientId
                    + "' may now: "
                    + describe(now)
                    + "; a running server applies it within seconds; audited in "
                    + auditLog.file);
      }
      return 0;
    }

    /** The change, or a usage error naming the bad value (before anything is opened). */
    private java.util.function.UnaryOperator<Permissions> parse() {
      try {
        java.util.Set<Permissions.SessionKind> newSessions =
            sessions == null ? null : Permissions.sessions(sessions);
        java.util.List<String> newRooms =
            rooms == null || rooms.equals("all")
                ? null
                : rooms.equals("none")
                    ? java.util.List.of()
                    : java.util.List.of(rooms.split(",", -1));
        // Validate the patterns now, not when the file is written.
        new Permissions(Permissions.ALL.sessions(), newRooms, null, null, null);
        Long newMaxFile = size(maxFile, "--max-file");
        Long newQuota = size(quota, "--quota");
        java.time.Instant newExpires =
            expires == null || expires.equals("never") ? null : parseExpires(expires);
        return p -> {
          Permissions q = p;
          if (sessions != null) {
            q = q.withSessions(newSessions);
          }
          if (rooms != null) {
            q = q.withRooms(newRooms);
          }
          if (maxFile != null) {
            q = q.withMaxFileSize(newMaxFile);
          }
          if (quota != null) {
            q = q.withQuota(newQuota);
          }
          if (expires != null) {
            q = q.withExpires(newExpires);
          }
          return q;
        };
      } catch (IllegalArgumentException | picocli.CommandLine.TypeConversionException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }

    private static Long size(String text, String option) {
      if (text == null || text.equals("default")) {
        return null;
      }
      try {
        return new SizeConverter().convert(text);
      } catch (picocli.CommandLine.TypeConversionException e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage());
      }
    }

    private static java.time.Instant parseExpires(String text) {
      try {
        return java.time.Instant.now()
            .plus(new DurationConverter().convert(text))
            .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      } catch (RuntimeException notADuration) {
        try {
          return java.time.Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
          throw new IllegalArgumentException(
              "--expires '"
                  + text
                  + "' is neither a duration (90d), an instant (2027-01-01T00:00:00Z) nor never");
        }
      }
    }

    private static java.util.List<String> kinds(Permissions p) {
      return java.util.Arrays.stream(Permissions.SessionKind.values())
          .filter(p::allows)
          .map(Permissions.SessionKind::label)
          .toList();
    }

    /** "ping, upload; rooms ops, dev-*; largest file 10485760 bytes; ..." */
    static String describe(Permissions p) {
      java.util.List<String> kinds = kinds(p);
      return (kinds.isEmpty() ? "no sessions" : String.join(", ", kinds) + " sessions")
          + "; rooms "
          + (p.rooms() == null
              ? "all"
              : p.rooms().isEmpty() ? "none" : String.join(", ", p.rooms()))
          + "; largest file "
          + (p.maxFileSize() == null ? "the server's" : p.maxFileSize() + " bytes")
          + "; quota "
          + (p.quota() == null ? "the server's" : p.quota() + " bytes")
          + "; expires "
          + (p.expires() == null ? "never" : p.expires().toString());
    }
  }

  /**
   * {@code --audit-log} of the commands that change the keystore (the server's log: from {@code
   * --config}'s {@code audit-log=}, {@code AUTHGATE_AUDIT_LOG}, or {@code logs/audit.jsonl}). The
   * operator's action is written before it is made, holding the keystore's lock: a change whose
   * line cannot be written does not happen, and the command says so and exits 1.
   */
  static final class AuditLogOption {
    @Option(
        names = "--audit-log",
        paramLabel = "FILE",
        defaultValue = "logs/audit.jsonl",
        description = "The server's audit log, appended to (default: ${DEFAULT-VALUE}).")
    Path file;

    JsonLinesAuditLog open() throws IOException {
      return JsonLinesAuditLog.open(file, Clock.systemUTC());
    }

    /** A change to the keystore, and its result. */
    interface Change<T> {
      T apply() throws IOException;
    }

    /** The event that says what is about to change; may refuse (nothing written then). */
    interface Intent {
      AuditEvent make() throws IOException;
    }

    /**
     * Under the keystore's lock: records {@code intent} (with the operator's name and uid), then
     * applies {@code change}. If the change then fails, that is recorded too (best effort) and the
     * failure is thrown.
     *
     * @param intent made under the lock, so what it says (a next key id) is exact
     * @throws IOException if the line cannot be written (nothing was changed) or the change fails
     */
    <T> T audited(KeystoreDirectory keys, Intent intent, Change<T> change) throws IOException {
      keys.checkAccess(); // "not yours: run this as …" says more than a log it cannot open
      try (JsonLinesAuditLog audit = open()) {
        return keys.whileLocked(
            () -> {
              AuditEvent event = operator(intent.make());
              try {
                audit.recordOrThrow(event);
              } catch (IOException e) {
                throw new IOException(
                    e.getMessage() + "; nothing was changed (every change is audited first)", e);
              }
              try {
                return change.apply();
              } catch (IOException | RuntimeException e) {
                audit.record(
                    operator(AuditEvent.of(event.type()))
                        .with("ok", false)
                        .with("error", e.getMessage())
                        .with("client_id", event.fields().get("client_id"))
                        .with("token_id", event.fields().get("token_id")));
                throw e;
              }
            });
      }
    }

    private static AuditEvent operator(AuditEvent event) {
      return event
          .with("operator", System.getProperty("user.name"))
          .with("operator_uid", new com.sun.security.auth.module.UnixSystem().getUid());
    }
  }

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description =
          "Enrollment tokens: a machine enrolls itself with one, its secret never leaving it.",
      subcommands = {TokenCreate.class, TokenList.class, TokenRevoke.class})
  static final class Token implements Runnable {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "missing subcommand: create, list or revoke");
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description =
          "Make a one-time token and print it (once: only its verifier is kept). On the machine:"
              + " auth-client enroll --server HOST --token TOKEN --out FILE.")
  static final class TokenCreate implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--id", paramLabel = "ID", description = "The client id it enrolls as.")
    String clientId;

    @Option(
        names = "--prefix",
        paramLabel = "PREFIX",
        description =
            "Ids it enrolls must start with this; a machine that names none gets PREFIX and 8 hex"
                + " digits.")
    String prefix;

    @Option(
        names = "--expires",
        paramLabel = "DURATION",
        defaultValue = "1h",
        converter = DurationConverter.class,
        description = "How long it can be used (default: ${DEFAULT-VALUE}).")
    java.time.Duration expires;

    @Option(
        names = "--uses",
        paramLabel = "N",
        defaultValue = "1",
        description = "How many machines it may enroll (default: ${DEFAULT-VALUE}).")
    int uses;

    @Option(
        names = "--approve",
        description = "Each enrollment waits until an operator runs 'keys approve ID'.")
    boolean approve;

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      if (clientId != null && prefix != null) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "give --id or --prefix, not both");
      }
      if (uses < 1 || expires.isZero() || expires.isNegative()) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--uses and --expires must be positive");
      }
      KeystoreDirectory dir = keystore.open();
      dir.prepare();
      // The token pins the key servers sign with now, so the machine refuses a rogue (even one
      // holding this token) before it sends ENROLL.
      HostKeyInfo hostKey = keystore.ensureHostKey(auditLog);
      dev.authgate.protocol.keyfile.EnrollmentToken token =
          dev.authgate.protocol.keyfile.EnrollmentToken.generate(RandomSource.secure())
              .withHostKey(hostKey.fingerprint());
      {
        auditLog.audited(
            dir,
            () ->
                AuditEvent.of(AuditEventType.ENROLL_TOKEN_CREATED)
                    .with("token_id", token.tokenId())
                    .with("client_id", clientId)
                    .with("prefix", prefix)
                    .with("uses", uses)
                    .with("expires_s", expires.toSeconds())
                    .with("approve", approve),
            () -> dir.createToken(token, expires, uses, approve, clientId, prefix));
        spec.commandLine().getOut().println(token.text());
        spec.commandLine()
            .getErr()
            .println(
                "token "
                    + token.tokenId()
                    + " enrolls "
                    + (clientId != null
                        ? "'" + clientId + "'"
                        : prefix != null
                            ? "ids starting with '" + prefix + "'"
                            : "the id a machine asks for")
                    + ", "
                    + uses
                    + (uses == 1 ? " time" : " times")
                    + " until "
                    + java.time.Instant.now()
                        .plus(expires)
                        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    + (approve ? ", each after 'keys approve'" : "")
                    + "; it pins the host key "
                    + hostKey.fingerprint()
                    + "; it is shown only now");
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List tokens: id, state, uses, expiry and what they enroll (never a secret).")
  static final class TokenList implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON array on stdout instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      java.time.Instant now = java.time.Instant.now();
      java.util.List<String[]> rows = new java.util.ArrayList<>();
      for (dev.authgate.protocol.keyfile.TokenFile t : keystore.open().tokens()) {
        String unusable = t.unusableReason(now);
        rows.add(
            new String[] {
              t.tokenId(),
              unusable == null ? "usable" : unusable.substring("token-".length()),
              t.used() + "/" + t.uses(),
              String.valueOf(t.expires()),
              t.clientId() != null ? t.clientId() : t.prefix() != null ? t.prefix() + "*" : "any",
              String.valueOf(t.approve())
            });
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        com.fasterxml.jackson.databind.ObjectMapper mapper =
            new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
        for (String[] r : rows) {
          array
              .addObject()
              .put("token_id", r[0])
              .put("state", r[1])
              .put("used", r[2])
              .put("expires", r[3])
              .put("enrolls", r[4])
              .put("approve", Boolean.parseBoolean(r[5]));
        }
        out.println(mapper.writeValueAsString(array));
      } else {
        List.printTable(
            out, new String[] {"TOKEN", "STATE", "USED", "EXPIRES", "ENROLLS", "APPROVE"}, rows);
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke a token: enrollments with it are refused from now on.")
  static final class TokenRevoke implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "TOKEN-ID", description = "The token's id (16 hex digits).")
    String tokenId;

    @Mixin AuditLogOption auditLog;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      dir.requireToken(tokenId);
      auditLog.audited(
          dir,
          () -> AuditEvent.of(AuditEventType.ENROLL_TOKEN_REVOKED).with("token_id", tokenId),
          () -> dir.revokeToken(tokenId));
      spec.commandLine().getErr().println("revoked token " + tokenId);
      return 0;
    }
  }

  /** {@code approve} and {@code deny}: an audited decision on a client waiting for approval. */
  abstract static class Decision implements Callable<Integer> {
    @Mixin KeystoreOption keystore;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "Client id")
    String clientId;

    @Mixin AuditLogOption auditLog;

    /** The audit event. */
    abstract AuditEventType event();

    /** Applies the decision to the keystore. */
    abstract void decide(KeystoreDirectory keys) throws IOException;

    /** What the operator is told afterwards. */
    abstract String said();

    @Option(
        names = "--fingerprint",
        paramLabel = "SHA256:…",
        description =
            "The key fingerprint the machine printed when it enrolled: the decision is made only"
                + " if the waiting key is that one (so you decide on the machine you mean).")
    String fingerprint;

    @Override
    public Integer call() throws IOException {
      KeystoreDirectory dir = keystore.open();
      dir.requirePending(clientId);
      String[] waiting = new String[1];
      auditLog.audited(
          dir,
          () -> {
            // Checked under the keystore's lock, so the key decided on is the one compared.
            waiting[0] = waitingKey(dir);
            return AuditEvent.of(event())
                .with("client_id", clientId)
                .with("fingerprint", waiting[0]);
          },
          () -> {
            decide(dir);
            return null;
          });
      spec.commandLine().getErr().println(said() + " (key " + waiting[0] + ")");
      return 0;
    }

    private String waitingKey(KeystoreDirectory dir) throws IOException {
      ClientKeys pending = dir.requirePending(clientId);
      String waiting =
          pending.keys().isEmpty()
              ? "none"
              : pending.keys().get(pending.keys().size() - 1).verifier().fingerprint();
      if (fingerprint != null && !fingerprint.equals(waiting)) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "'"
                + clientId
                + "' waits with key "
                + waiting
                + ", not "
                + TerminalText.escape(fingerprint)
                + ": nothing decided; check which machine enrolled as '"
                + clientId
                + "'");
      }
      return waiting;
    }
  }

  @Command(
      name = "approve",
      mixinStandardHelpOptions = true,
      description = "Let in a machine that enrolled with an --approve token.")
  static final class Approve extends Decision {
    @Override
    AuditEventType event() {
      return AuditEventType.ENROLL_APPROVED;
    }

    @Override
    void decide(KeystoreDirectory keys) throws IOException {
      keys.approve(clientId);
    }

    @Override
    String said() {
      return "approved '" + clientId + "': a running server lets it in within seconds";
    }
  }

  @Command(
      name = "deny",
      mixinStandardHelpOptions = true,
      description =
          "Refuse for good a machine that enrolled with an --approve token (its key is revoked).")
  static final class Deny extends Decision {
    @Override
    AuditEventType event() {
      return AuditEventType.ENROLL_DENIED;
    }

    @Override
    void decide(KeystoreDirectory keys) throws IOException {
      keys.deny(clientId);
    }

    @Override
    String said() {
      return "denied '" + clientId + "': its key is revoked and stays refused";
    }
  }
}
