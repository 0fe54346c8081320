package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.proxy.ProxyHeader;
import java.io.IOException;
import java.io.InputStream;

/** What comes before a handshake's AUTH on a connection that may have come through a proxy. */
final class ProxyPreamble {
  private ProxyPreamble() {}

  /**
   * Whether the peer ends the connection (closes or resets it) before sending a byte; if not, the
   * byte stays in the stream. Load balancers' health checks do this.
   */
  static boolean endsWithoutAByte(InputStream in) throws IOException {
    in.mark(1);
    try {
      if (in.read() < 0) {
        return true;
      }
    } catch (IOException e) {
      if (e instanceof ProtocolException) {
        throw e;
      }
      return true;
    }
    in.reset();
    return false;
  }

  /**
   * A PROXY header where AUTH should be: sent by an address that is not a trusted proxy (it could
   * otherwise claim any source), or a second one. Named in the audit log rather than reported as a
   * malformed frame, since it is usually a load balancer that is not in {@code --trusted-proxies}.
   */
  static void refuseHeaderInsteadOfAuth(
      InputStream in, String proxy, String remote, boolean proxyProtocol) throws IOException {
    in.mark(ProxyHeader.recognitionLength());
    int first = in.read();
    if (first != '\r' && first != 'P') {
      // Not how a PROXY header starts (nor a frame type): decided on one byte, so a frame that
      // arrives a few bytes at a time is never held back waiting for more.
      in.reset();
      return;
    }
    byte[] start = new byte[ProxyHeader.recognitionLength()];
    start[0] = (byte) first;
    int length = 1 + in.readNBytes(start, 1, start.length - 1);
    in.reset();
    if (!ProxyHeader.looksLikeHeader(start, length)) {
      return;
    }
    String why;
    if (proxy != null) {
      why = "a second PROXY header from the trusted proxy " + proxy;
    } else if (proxyProtocol) {
      why = "a PROXY header from " + remote + ", which is not in --trusted-proxies";
    } else {
      why = "a PROXY header, but this server does not take the PROXY protocol (--proxy-protocol)";
    }
    throw new ProtocolException(Reason.PROXY_HEADER, why);
  }
}
