package dev.authgate.client.cli;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.handshake.VerifierLookup.KeyRecord;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * {@code auth-client startup-training} (hidden): the workload the launcher records to build the
 * JVM's ahead-of-time cache for short commands. It runs a real {@code ping} — command line,
 * credential file, handshake, sealed PING/PONG, CLOSE — against a verifier of its own on a loopback
 * port of its own, so the classes a ping loads and links are the ones recorded, and nothing leaves
 * the machine: the credential is made up for the run and deleted with its temporary directory.
 */
@Command(
    name = "startup-training",
    hidden = true,
    description = "Run a ping against a throwaway verifier on loopback (for the launcher's cache).")
final class StartupTraining implements Callable<Integer> {
  private static final String CLIENT = "training";

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("authgate-training");
    try (ServerSocket listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      HostKey host = HostKey.generate(RandomSource.secure());
      Credential credential =
          new Credential(
              CLIENT,
              "k1",
              RandomSource.secure().bytes(32),
              java.util.List.of(host.publicKey().fingerprint()));
      Path key = dir.resolve(CLIENT + ".credential");
      KeyFiles.writePrivate(key, credential.format(), false);
      KeyRecord record = new KeyRecord(credential.scramKeys().verifier(), KeyStatus.ACTIVE);
      Thread server =
          Thread.ofVirtual()
              .name("training-server")
              .start(() -> serveOnce(listener, host, (client, keyId) -> Optional.of(record)));
      PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
      int exit =
          AuthClientCommand.run(
              new String[] {
                "ping", "--server", "127.0.0.1:" + listener.getLocalPort(), "--key", key.toString()
              },
              discard,
              discard);
      server.join(10_000);
      return exit;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** The server's half of one ping session, enough for the client to verify it. */
  private static void serveOnce(ServerSocket listener, HostKey host, VerifierLookup keys) {
    try (Socket socket = listener.accept()) {
      socket.setSoTimeout(10_000);
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      ServerHandshake handshake =
          new ServerHandshake(keys, "training", HostKeySet.of(host), RandomSource.secure());
      out.write(handshake.hello());
      ServerHandshake.Accepted accepted =
          handshake.onAuth(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
      out.write(accepted.welcomeFrame());
      SecureChannel channel = SecureChannel.server(in, out, accepted.keys());
      while (true) {
        SessionMessage message = channel.receive();
        if (message instanceof SessionMessage.Ping ping) {
          channel.send(new SessionMessage.Pong(ping.token()));
        } else if (message instanceof SessionMessage.Close) {
          return;
        }
      }
    } catch (IOException e) {
      // The client's side reports how the ping went; the training only needs it to have run.
    }
  }
}
