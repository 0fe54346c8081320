package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.keystore.HostKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "host-key",
    mixinStandardHelpOptions = true,
    subcommands = {HostKeyRotateCommand.class, HostKeyRetireCommand.class},
    description = {
      "Print this server's host key fingerprint (SHA256:…), as machines pin it; compare it with"
          + " what a machine shows before trusting it. During a rotation the next key is"
          + " printed too.",
      "Rotation without touching machines: 'host-key rotate' makes the next key, which servers"
          + " announce to every verified machine (each adds it to its credential's pins);"
          + " after an overlap in which every machine has connected, 'host-key retire' makes it"
          + " the host key and tells machines to drop the old one."
    })
final class HostKeyCommand implements Callable<Integer> {
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

  /** Runs a rotation step, turning "not now" into a usage error (exit 2) with its reason. */
  static <T> T hostKeyChange(AuditLogOption.Change<T> change) throws IOException {
    try {
      return change.apply();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
