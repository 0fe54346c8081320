package dev.authgate.protocol.crypto;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for one direction of a connection with counter nonces: the nonce of message n (n = 0,
 * 1, ...) is the IV XOR n as a 64-bit big-endian number in its last 8 bytes, as TLS 1.3 does. The
 * counter never repeats: after 2^64 - 1 messages the sealer refuses to continue.
 *
 * <p>Both sides count, so a dropped, reordered or replayed frame fails to open. Not thread-safe:
 * one sealer per direction, used by one writer or one reader at a time.
 */
public final class FrameSealer {
  /** Bytes GCM adds to every sealed message. */
  public static final int TAG_BYTES = 16;

  private final SecretKeySpec key;
  private final byte[] iv;
  private final Cipher cipher;
  private final byte[] innerTypeByte = new byte[1];
  private long counter;
  private boolean exhausted;

  /** A sealer starting at counter 0. */
  public FrameSealer(DirectionKeys keys) {
    this.key = new SecretKeySpec(keys.key(), "AES");
    this.iv = keys.iv();
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM is missing from this JDK", e);
    }
  }

  /** The nonce for message {@code n}. */
  static byte[] nonce(byte[] iv, long n) {
    byte[] nonce = iv.clone();
    for (int i = 0; i < 8; i++) {
      nonce[nonce.length - 1 - i] ^= (byte) (n >>> (8 * i));
    }
    return nonce;
  }

  /**
   * Seals the next message.
   *
   * @param aad bytes authenticated but not encrypted (the frame bytes before the ciphertext)
   * @return ciphertext followed by the 16-byte tag
   */
  public byte[] seal(byte[] aad, byte[] plaintext) {
    return seal(aad, plaintext, 0, plaintext.length);
  }

  /** Seals {@code length} bytes of {@code plaintext} from {@code offset}. */
  public byte[] seal(byte[] aad, byte[] plaintext, int offset, int length) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
      cipher.updateAAD(aad);
      return cipher.doFinal(plaintext, offset, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM sealing failed", e);
    }
  }

  /**
   * Seals the next message straight into a whole frame: {@code header | seal(innerType | body)},
   * with the header as associated data. No intermediate plaintext or ciphertext copy is made, so
   * large upload chunks cost one pass of AES-GCM and one array.
   */
  public byte[] sealFrame(byte[] header, int innerType, byte[] body, int offset, int length) {
    byte[] frame = new byte[frameBytes(header, length)];
    sealFrameInto(header, innerType, body, offset, length, frame);
    return frame;
  }

  /** Bytes of the frame {@link #sealFrameInto} writes for a body of {@code length} bytes. */
  public static int frameBytes(byte[] header, int length) {
    return header.length + 1 + length + TAG_BYTES;
  }

  /**
   * As {@link #sealFrame}, into {@code frame} (at least {@link #frameBytes} long), so a sender can
   * reuse one buffer for every chunk.
   *
   * @return the frame's length
   */
  public int sealFrameInto(
      byte[] header, int innerType, byte[] body, int offset, int length, byte[] frame) {
    return sealFrameInto(header, innerType, body, offset, length, frame, 0);
  }

  /**
   * As {@link #sealFrameInto(byte[], int, byte[], int, int, byte[])}, at {@code frameOffset} of
   * {@code frame}: several frames can be sealed one after another into one array and written at
   * once.
   *
   * @return the frame's length
   */
  public int sealFrameInto(
      byte[] header,
      int innerType,
      byte[] body,
      int offset,
      int length,
      byte[] frame,
      int frameOffset) {
    System.arraycopy(header, 0, frame, frameOffset, header.length);
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
      cipher.updateAAD(header);
      innerTypeByte[0] = (byte) innerType;
      int written = cipher.update(innerTypeByte, 0, 1, frame, frameOffset + header.length);
      cipher.doFinal(body, offset, length, frame, frameOffset + header.length + written);
      return frameBytes(header, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM sealing failed", e);
    }
  }

  /**
   * Opens the next message.
   *
   * @throws ProtocolException {@link Reason#INTEGRITY} if the tag does not verify: the bytes, the
   *     associated data or the position in the stream are not what was sealed
   */
  public byte[] open(byte[] aad, byte[] sealed) throws ProtocolException {
    if (sealed.length < TAG_BYTES) {
      throw new ProtocolException(Reason.MALFORMED, "sealed message shorter than its tag");
    }
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, nextNonce());
      cipher.updateAAD(aad);
      return cipher.doFinal(sealed);
    } catch (AEADBadTagException e) {
      throw new ProtocolException(
          Reason.INTEGRITY, "sealed frame failed authentication: altered, reordered or replayed");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM opening failed", e);
    }
  }

  /**
   * Opens the next message in place: the {@code length} sealed bytes at {@code offset} of {@code
   * buffer} are replaced by the plaintext, which starts at {@code offset}.
   *
   * @return the plaintext's length ({@code length} less the tag)
   * @throws ProtocolException as {@link #open}
   */
  public int openInPlace(byte[] aad, byte[] buffer, int offset, int length)
      throws ProtocolException {
    if (length < TAG_BYTES) {
      throw new ProtocolException(Reason.MALFORMED, "sealed message shorter than its tag");
    }
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, nextNonce());
      cipher.updateAAD(aad);
      return cipher.doFinal(buffer, offset, length, buffer, offset);
    } catch (AEADBadTagException e) {
      throw new ProtocolException(
          Reason.INTEGRITY, "sealed frame failed authentication: altered, reordered or replayed");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM opening failed", e);
    }
  }

  private GCMParameterSpec nextNonce() {
    if (exhausted) {
      throw new IllegalStateException("nonce counter exhausted; the connection must end");
    }
    GCMParameterSpec spec = new GCMParameterSpec(TAG_BYTES * 8, nonce(iv, counter));
    counter++;
    exhausted = counter == 0;
    return spec;
  }

  @Override
  public String toString() {
    return "FrameSealer[counter=" + counter + "]";
  }
}
