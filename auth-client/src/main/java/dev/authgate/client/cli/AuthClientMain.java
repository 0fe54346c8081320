package dev.authgate.client.cli;

/** The {@code auth-client} entry point. */
public final class AuthClientMain {
  private AuthClientMain() {}

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(AuthClientCommand.run(args, System.out, System.err));
  }
}
