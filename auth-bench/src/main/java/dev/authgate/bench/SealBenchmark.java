package dev.authgate.bench;

import dev.authgate.protocol.crypto.DirectionKeys;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.SessionKeys;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.UploadData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Sealing one upload chunk through {@link SecureChannel} (framing, inner type, AES-256-GCM, header
 * as associated data) against the JDK's bare AES-256-GCM of the same bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SealBenchmark {
  @Param({"262144"})
  int chunkBytes;

  private byte[] chunk;
  private SecureChannel channel;
  private Cipher cipher;
  private SecretKeySpec key;
  private long counter;

  /** Keys, a chunk and a channel that writes to nowhere. */
  @Setup
  public void setUp() throws GeneralSecurityException {
    RandomSource random = RandomSource.secure();
    chunk = random.bytes(chunkBytes);
    SessionKeys keys =
        new SessionKeys(
            new DirectionKeys(random.bytes(32), random.bytes(12)),
            new DirectionKeys(random.bytes(32), random.bytes(12)));
    channel =
        SecureChannel.client(
            new ByteArrayInputStream(new byte[0]), OutputStream.nullOutputStream(), keys);
    cipher = Cipher.getInstance("AES/GCM/NoPadding");
    key = new SecretKeySpec(random.bytes(32), "AES");
  }

  /** One UPLOAD_DATA message sealed and written. */
  @Benchmark
  public long sealUploadChunk() throws IOException {
    channel.send(new UploadData(chunk));
    return channel.bytesSent();
  }

  /** Baseline: bare AES-256-GCM over the same bytes with a fresh nonce. */
  @Benchmark
  public byte[] baselineAesGcm() throws GeneralSecurityException {
    byte[] nonce = new byte[12];
    long n = counter++;
    for (int i = 0; i < 8; i++) {
      nonce[11 - i] = (byte) (n >>> (8 * i));
    }
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    return cipher.doFinal(chunk);
  }
}
