package dev.authgate.bench;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.handshake.VerifierLookup.KeyRecord;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * CPU cost of one complete handshake, both sides, in memory (no sockets), against its floor: the
 * two X25519 key generations and two agreements every handshake must do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HandshakeBenchmark {
  private final RandomSource random = RandomSource.secure();
  private ClientIdentity identity;
  private VerifierLookup lookup;

  /** Provisions one client. */
  @Setup
  public void setUp() {
    ScramKeys keys = ScramKeys.fromSaltedPassword(random.bytes(32));
    identity = new ClientIdentity("bench-1", "k1", keys);
    KeyRecord record = new KeyRecord(keys.verifier(), KeyStatus.ACTIVE);
    lookup = (clientId, keyId) -> Optional.of(record);
    HostKey host = HostKey.generate(random);
    hostKeys = HostKeySet.of(host);
    pinned = HostKeyCheck.pinned(java.util.List.of(host.publicKey().fingerprint()));
    message = random.bytes(114);
    signature = host.sign(message);
    hostKey = host;
  }

  private HostKeySet hostKeys;
  private HostKeyCheck pinned;
  private HostKey hostKey;
  private byte[] message;
  private byte[] signature;

  /** The server's share of the host key: one Ed25519 signature of a HELLO-sized message. */
  @Benchmark
  public byte[] hostKeySignsHello() {
    return hostKey.sign(message);
  }

  /** The client's share: verifying that signature with the (validated, cached) host key. */
  @Benchmark
  public boolean clientVerifiesHello() {
    return HostPublicKey.of(hostKey.publicKey().bytes()).verifies(message, signature);
  }

  private static Frame frame(byte[] wire) throws IOException {
    return FrameCodec.read(new ByteArrayInputStream(wire), FrameCodec.PRE_AUTH_MAX_PAYLOAD);
  }

  /** HELLO, AUTH, WELCOME through both state machines. */
  @Benchmark
  public Object fullHandshakeBothSides() throws IOException {
    ServerHandshake server = new ServerHandshake(lookup, "bench", hostKeys, random);
    ClientHandshake client = new ClientHandshake(identity, pinned, random);
    byte[] auth = client.onHello(frame(server.hello()));
    return client.onWelcome(frame(server.onAuth(frame(auth)).welcomeFrame()));
  }

  /** Baseline: two ephemeral X25519 key pairs and both agreements. */
  @Benchmark
  public byte[] baselineX25519Exchange() throws ProtocolException {
    X25519KeyPair a = X25519KeyPair.generate(random);
    X25519KeyPair b = X25519KeyPair.generate(random);
    a.agree(b.publicKey());
    return b.agree(a.publicKey());
  }
}
