package dev.authgate.server.cli;

/** The {@code auth-server} entry point. */
public final class AuthServerMain {
  private AuthServerMain() {}

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(AuthServerCommand.run(args, System.out, System.err));
  }
}
