package dev.authgate.protocol.datagram;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.DirectionKeys;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sealed datagram (PROTOCOL.md §11.3):
 *
 * <pre>
 * channel_id[8] | sequence u64 | AES-256-GCM(key, iv XOR sequence, aad = the first 16 bytes,
 *                                            type u8 | body) with its 16-byte tag
 * </pre>
 *
 * at most {@link #MAX_BYTES} in all, so it never fragments on common paths. One instance seals or
 * opens for one direction of one channel (the {@link Cipher} is reused); the sender numbers its
 * datagrams 0, 1, 2, … and never reuses a number.
 *
 * <p>Not thread-safe.
 */
public final class Datagram {
  /** The largest datagram, header and tag included. */
  public static final int MAX_BYTES = 1200;

  /** Channel id bytes. */
  public static final int CHANNEL_ID_BYTES = 8;

  /** The clear header: channel id and sequence. */
  public static final int HEADER_BYTES = CHANNEL_ID_BYTES + 8;

  /** The GCM tag. */
  public static final int TAG_BYTES = 16;

  /** The smallest datagram: header, tag and a type byte. */
  public static final int MIN_BYTES = HEADER_BYTES + TAG_BYTES + 1;

  /** The most a message (type and body) may hold. */
  public static final int MAX_MESSAGE_BYTES = MAX_BYTES - HEADER_BYTES - TAG_BYTES;

  private final byte[] channelId;
  private final SecretKeySpec key;
  private final byte[] iv;
  private final Cipher cipher;

  /** One direction of the channel {@code channelId}, under {@code keys}. */
  public Datagram(byte[] channelId, DirectionKeys keys) {
    if (channelId.length != CHANNEL_ID_BYTES) {
      throw new IllegalArgumentException("a channel id is 8 bytes");
    }
    this.channelId = channelId.clone();
    this.key = new SecretKeySpec(keys.key(), "AES");
    this.iv = keys.iv();
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** The channel id a datagram names (its first 8 bytes, read as a big-endian number). */
  public static long channelOf(byte[] datagram, int length) {
    if (length < CHANNEL_ID_BYTES) {
      throw new IllegalArgumentException("shorter than a channel id");
    }
    return ByteBuffer.wrap(datagram, 0, CHANNEL_ID_BYTES).getLong();
  }

  /** The sequence number a datagram carries in clear. */
  public static long sequenceOf(byte[] datagram, int length) {
    if (length < HEADER_BYTES) {
      throw new IllegalArgumentException("shorter than a datagram header");
    }
    return ByteBuffer.wrap(datagram, CHANNEL_ID_BYTES, 8).getLong();
  }

  /**
   * Seals message {@code sequence}: {@code type} and {@code body}.
   *
   * @throws IllegalArgumentException if the datagram would exceed {@link #MAX_BYTES}
   */
  public byte[] seal(long sequence, int type, byte[] body) {
    if (1 + body.length > MAX_MESSAGE_BYTES) {
      throw new IllegalArgumentException(
          "a datagram message holds at most " + MAX_MESSAGE_BYTES + " bytes");
    }
    byte[] out = new byte[HEADER_BYTES + 1 + body.length + TAG_BYTES];
    ByteBuffer.wrap(out).put(channelId).putLong(sequence);
    byte[] plain = new byte[1 + body.length];
    plain[0] = (byte) type;
    System.arraycopy(body, 0, plain, 1, body.length);
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce(sequence)));
      cipher.updateAAD(out, 0, HEADER_BYTES);
      cipher.doFinal(plain, 0, plain.length, out, HEADER_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing a datagram failed", e);
    }
    return out;
  }

  /** A message that opened: its sequence number, type and body. */
  public record Opened(long sequence, int type, byte[] body) {}

  /**
   * Opens {@code datagram[0..length)}, which must name this channel.
   *
   * @throws ProtocolException ({@link Reason#INTEGRITY}) if it is too short or too long, names
   *     another channel, or does not open under this channel's key
   */
  public Opened open(byte[] datagram, int length) throws ProtocolException {
    if (length < MIN_BYTES || length > MAX_BYTES) {
      throw new ProtocolException(Reason.INTEGRITY, "a datagram of " + length + " bytes");
    }
    if (!java.util.Arrays.equals(datagram, 0, CHANNEL_ID_BYTES, channelId, 0, CHANNEL_ID_BYTES)) {
      throw new ProtocolException(Reason.INTEGRITY, "a datagram of another channel");
    }
    long sequence = sequenceOf(datagram, length);
    byte[] plain;
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce(sequence)));
      cipher.updateAAD(datagram, 0, HEADER_BYTES);
      plain = cipher.doFinal(datagram, HEADER_BYTES, length - HEADER_BYTES);
    } catch (AEADBadTagException e) {
      throw new ProtocolException(Reason.INTEGRITY, "a datagram that does not open");
    } catch (GeneralSecurityException e) {
      throw new ProtocolException(Reason.INTEGRITY, "a datagram that does not open", e);
    }
    byte[] body = new byte[plain.length - 1];
    System.arraycopy(plain, 1, body, 0, body.length);
    return new Opened(sequence, plain[0] & 0xFF, body);
  }

  private byte[] nonce(long sequence) {
    byte[] nonce = iv.clone();
    for (int i = 0; i < 8; i++) {
      nonce[nonce.length - 1 - i] ^= (byte) (sequence >>> (8 * i));
    }
    return nonce;
  }
}
