package dev.authgate.protocol.proxy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A PROXY protocol v2 header: what a load balancer says about the connection it relays.
 *
 * <p>Layout (all big-endian): the 12-byte signature {@code \r\n\r\n\0\r\nQUIT\n}; one byte with the
 * version (high nibble, must be 2) and the command (low nibble: 0 LOCAL, 1 PROXY); one byte with
 * the address family (high nibble: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) and transport (low nibble: 0
 * UNSPEC, 1 STREAM, 2 DGRAM); a 16-bit length of the rest; then the addresses (INET: source and
 * destination address, 4 bytes each, then source and destination port; INET6: the same with 16-byte
 * addresses; UNIX: two 108-byte paths) and type-length-value extensions, which are checked for
 * structure and otherwise ignored.
 *
 * <p>{@link #source()} is null when the header names no TCP/IP source: a LOCAL command (the proxy's
 * own connection, e.g. a health check) or an UNSPEC or UNIX address family. The receiver then uses
 * the connection's real endpoints, as the specification says.
 *
 * @param command LOCAL or PROXY
 * @param source the original client's address and port, or null (see above)
 * @param destination the address and port the client connected to, or null with {@code source}
 * @param length the header's whole length in bytes, signature included
 */
public record ProxyHeader(
    Command command, InetSocketAddress source, InetSocketAddress destination, int length) {
  /** What the proxy says the connection is. */
  public enum Command {
    /** The proxy's own connection (health checks): use the real endpoints. */
    LOCAL,
    /** A relayed connection: the header's addresses are the client's. */
    PROXY
  }

  /** The first twelve bytes of every v2 header. */
  private static final byte[] SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  /** The start of a version 1 (text) header. */
  private static final byte[] V1_START = {'P', 'R', 'O', 'X', 'Y', ' '};

  /** Bytes before the variable part: signature, version/command, family/transport, length. */
  public static final int FIXED_LENGTH = 16;

  /**
   * The longest variable part accepted (addresses and extensions). HAProxy's own headers are 12 to
   * a few hundred bytes; anything longer is refused before it is read.
   */
  public static final int MAX_VARIABLE_LENGTH = 1024;

  private static final int INET_LENGTH = 12;
  private static final int INET6_LENGTH = 36;
  private static final int UNIX_LENGTH = 216;

  /** Validates. */
  public ProxyHeader {
    if (command == null || (source == null) != (destination == null)) {
      throw new IllegalArgumentException("a command, and both addresses or neither");
    }
    if (source != null && command == Command.LOCAL) {
      throw new IllegalArgumentException("a LOCAL header carries no addresses");
    }
  }

  /**
   * Whether {@code start} (at least its first bytes) is the beginning of a PROXY header of either
   * version: how a server notices a header where it expected its protocol's first frame.
   */
  public static boolean looksLikeHeader(byte[] start, int length) {
    return startsWith(start, length, SIGNATURE) || startsWith(start, length, V1_START);
  }

  /** The most bytes {@link #looksLikeHeader} needs to decide. */
  public static int recognitionLength() {
    return SIGNATURE.length;
  }

  private static boolean startsWith(byte[] data, int length, byte[] prefix) {
    return length >= prefix.length
        && Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * Reads one v2 header from {@code in}, consuming exactly its bytes and nothing after.
   *
   * @throws ProtocolException ({@link Reason#PROXY_HEADER}) if the bytes are not a valid v2 header:
   *     no signature (a version 1 header is named as such), another version, an unknown command,
   *     family or transport, a length over {@link #MAX_VARIABLE_LENGTH} or too short for its
   *     addresses, or extensions that overrun it
   * @throws EOFException if the stream ends first
   */
  public static ProxyHeader read(InputStream in) throws IOException {
    byte[] fixed = in.readNBytes(FIXED_LENGTH);
    if (fixed.length == 0) {
      throw new EOFException("connection closed before the PROXY header");
    }
    if (!startsWith(fixed, fixed.length, SIGNATURE)) {
      if (startsWith(fixed, fixed.length, V1_START)) {
        throw invalid("a PROXY protocol version 1 (text) header; only version 2 is accepted");
      }
      if (fixed.length < FIXED_LENGTH
          && Arrays.equals(fixed, 0, fixed.length, SIGNATURE, 0, Math.min(fixed.length, 12))) {
        throw new EOFException("connection closed inside the PROXY header");
      }
      throw invalid("no PROXY protocol v2 signature at the start of the connection");
    }
    if (fixed.length < FIXED_LENGTH) {
      throw new EOFException("connection closed inside the PROXY header");
    }
    int length = ((fixed[14] & 0xFF) << 8) | (fixed[15] & 0xFF);
    checkFixed(fixed[12], fixed[13], length);
    byte[] rest = in.readNBytes(length);
    if (rest.length < length) {
      throw new EOFException("connection closed inside the PROXY header");
    }
    return decode(fixed[12], fixed[13], rest);
  }

  /**
   * Parses a whole header held in {@code bytes} (which may go on past it).
   *
   * @throws ProtocolException as {@link #read}, also if {@code bytes} ends inside the header
   */
  public static ProxyHeader parse(byte[] bytes) throws ProtocolException {
    try {
      return read(new java.io.ByteArrayInputStream(bytes));
    } catch (ProtocolException e) {
      throw e;
    } catch (IOException e) {
      throw invalid("truncated: " + e.getMessage());
    }
  }

  private static void checkFixed(byte versionCommand, byte familyTransport, int length)
      throws ProtocolException {
    int version = (versionCommand >> 4) & 0x0F;
    int command = versionCommand & 0x0F;
    if (version != 2) {
      throw invalid("PROXY protocol version " + version + "; only version 2 is accepted");
    }
    if (command > 1) {
      throw invalid("unknown PROXY command " + command);
    }
    int family = (familyTransport >> 4) & 0x0F;
    int transport = familyTransport & 0x0F;
    if (family > 3 || transport > 2) {
      throw invalid("unknown PROXY address family " + family + " or transport " + transport);
    }
    if (length > MAX_VARIABLE_LENGTH) {
      throw invalid(
          "PROXY header of "
              + (FIXED_LENGTH + length)
              + " bytes; at most "
              + (FIXED_LENGTH + MAX_VARIABLE_LENGTH)
              + " are accepted");
    }
    if (command == 1 && length < addressLength(family)) {
      throw invalid(
          "PROXY header length "
              + length
              + " is too short for its addresses ("
              + addressLength(family)
              + ")");
    }
  }

  private static int addressLength(int family) {
    return switch (family) {
      case 1 -> INET_LENGTH;
      case 2 -> INET6_LENGTH;
      case 3 -> UNIX_LENGTH;
      default -> 0;
    };
  }

  private static ProxyHeader decode(byte versionCommand, byte familyTransport, byte[] rest)
      throws ProtocolException {
    int length = FIXED_LENGTH + rest.length;
    boolean proxy = (versionCommand & 0x0F) == 1;
    int family = (familyTransport >> 4) & 0x0F;
    int transport = familyTransport & 0x0F;
    if (!proxy) {
      // LOCAL: the addresses (if any) are to be ignored, whatever they say.
      checkExtensions(rest, Math.min(addressLength(family), rest.length));
      return new ProxyHeader(Command.LOCAL, null, null, length);
    }
    int addresses = addressLength(family);
    checkExtensions(rest, addresses);
    if (family != 1 && family != 2 || transport != 1) {
      // UNSPEC, UNIX or a datagram relay: no TCP/IP client to name; the real endpoints stand.
      if (transport == 2) {
        throw invalid("a PROXY header for a datagram (UDP) connection on a TCP listener");
      }
      return new ProxyHeader(Command.PROXY, null, null, length);
    }
    int size = family == 1 ? 4 : 16;
    ByteBuffer b = ByteBuffer.wrap(rest);
    byte[] src = new byte[size];
    byte[] dst = new byte[size];
    b.get(src).get(dst);
    int srcPort = b.getShort() & 0xFFFF;
    int dstPort = b.getShort() & 0xFFFF;
    return new ProxyHeader(
        Command.PROXY,
        new InetSocketAddress(address(src), srcPort),
        new InetSocketAddress(address(dst), dstPort),
        length);
  }

  /** Type-length-value extensions after the addresses must fit exactly. */
  private static void checkExtensions(byte[] rest, int from) throws ProtocolException {
    int at = from;
    while (at < rest.length) {
      if (rest.length - at < 3) {
        throw invalid("a PROXY header extension is cut short");
      }
      int length = ((rest[at + 1] & 0xFF) << 8) | (rest[at + 2] & 0xFF);
      at += 3;
      if (length > rest.length - at) {
        throw invalid("a PROXY header extension runs past the header");
      }
      at += length;
    }
  }

  private static InetAddress address(byte[] bytes) throws ProtocolException {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw invalid("an address of " + bytes.length + " bytes");
    }
  }

  /**
   * The v2 header for this record, with no extensions: what a proxy would send. {@link #length()}
   * is not consulted.
   */
  public byte[] encode() {
    int family;
    int variable;
    if (source == null) {
      family = 0;
      variable = 0;
    } else if (source.getAddress() instanceof Inet4Address
        && destination.getAddress() instanceof Inet4Address) {
      family = 1;
      variable = INET_LENGTH;
    } else {
      // IPv6, or a mix (an IPv4-mapped IPv6 address reads back as IPv4): both as IPv6.
      family = 2;
      variable = INET6_LENGTH;
    }
    ByteBuffer b = ByteBuffer.allocate(FIXED_LENGTH + variable);
    b.put(SIGNATURE);
    b.put((byte) (0x20 | (command == Command.PROXY ? 1 : 0)));
    b.put((byte) ((family << 4) | (family == 0 ? 0 : 1)));
    b.putShort((short) variable);
    if (source != null) {
      b.put(bytes(source, family)).put(bytes(destination, family));
      b.putShort((short) source.getPort()).putShort((short) destination.getPort());
    }
    return b.array();
  }

  private static byte[] bytes(InetSocketAddress address, int family) {
    byte[] raw = address.getAddress().getAddress();
    if (family == 1 || raw.length == 16) {
      return raw;
    }
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xFF;
    mapped[11] = (byte) 0xFF;
    System.arraycopy(raw, 0, mapped, 12, 4);
    return mapped;
  }

  private static ProtocolException invalid(String detail) {
    return new ProtocolException(Reason.PROXY_HEADER, detail);
  }
}
