package dev.authgate.client.cli;

import dev.authgate.protocol.crypto.CryptoWarmup;

/** The {@code auth-client} entry point. */
public final class AuthClientMain {
  private AuthClientMain() {}

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    // Every command but help makes a handshake: its crypto's first use is prepared on the other
    // core while picocli reads the command line (docs/PERFORMANCE.md, "Start-up").
    CryptoWarmup.prepareHandshakeInBackground();
    System.exit(AuthClientCommand.run(args, System.out, System.err));
  }
}
