package dev.authgate.client.cli.common;

import dev.authgate.client.connect.SilentServerException;
import dev.authgate.client.download.ListRefusedException;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.io.WriteStalledException;

/** How a command's failure is reported: its exit status and its one line on stderr. */
public final class Failures {
  private Failures() {}

  /** The exit status a command that failed with {@code e} ends with. */
  public static ExitCode exitCode(Exception e) {
    if (e instanceof ListRefusedException) {
      return ExitCode.TRANSFER;
    }
    if (e instanceof ProtocolException p) {
      return switch (p.reason()) {
        case REFUSED,
            SERVER_NOT_VERIFIED,
            HOST_KEY_NOT_TRUSTED,
            UNSUPPORTED_VERSION,
            REVOKED_KEY,
            EXPIRED_KEY,
            PENDING_APPROVAL,
            CLONE_SUSPECTED ->
            ExitCode.AUTH_REFUSED;
        case NOT_PERMITTED -> ExitCode.TRANSFER;
        default -> ExitCode.CONNECTION;
      };
    }
    if (e instanceof java.net.SocketException
        || e instanceof java.net.UnknownHostException
        || e instanceof java.io.InterruptedIOException
        || e instanceof java.io.EOFException) {
      return ExitCode.CONNECTION;
    }
    if (e instanceof IllegalArgumentException) {
      return ExitCode.USAGE;
    }
    return ExitCode.FAILURE;
  }

  /** Whether the JVM has begun to shut down (Ctrl-C, SIGTERM, or an exit elsewhere). */
  public static boolean shuttingDown() {
    Thread probe = new Thread(() -> {}, "shutdown-probe");
    try {
      Runtime.getRuntime().addShutdownHook(probe);
    } catch (IllegalStateException e) {
      return true;
    }
    Runtime.getRuntime().removeShutdownHook(probe);
    return false;
  }

  /** What the one line on stderr says about {@code e}. */
  public static String describe(Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof ProtocolException p) {
      return switch (p.reason()) {
        case REFUSED -> "the server refused this client (wrong or unknown key)";
        case SERVER_NOT_VERIFIED -> message + "; not talking to it";
        case OVERLOADED ->
            "the server asked us to try later: it is busy, or this client already has as many"
                + " sessions as it may";
        case HANDSHAKE_TIMEOUT -> "the server cut the handshake: it took too long";
        case NOT_PERMITTED -> "the server refused: " + message;
        default -> message;
      };
    }
    if (e instanceof ListRefusedException refused) {
      return "the server could not list its files: " + message + " [" + refused.reason() + "]";
    }
    if (e instanceof java.net.ConnectException) {
      return "cannot connect to " + message;
    }
    if (e instanceof java.net.UnknownHostException) {
      return "cannot resolve server host " + message;
    }
    if (e instanceof WriteStalledException) {
      return message;
    }
    if (e instanceof SilentServerException) {
      return message;
    }
    if (e instanceof java.net.SocketTimeoutException) {
      return "the server did not answer in time";
    }
    return message;
  }
}
