package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.server.cli.ServerCliRun;
import org.junit.jupiter.api.Test;

/** A usage error is one line, a suggestion for a misspelled option, and where help is. */
class UsageErrorTest {
  @Test
  void aMisspelledServeOptionGetsOneLineASuggestionAndWhereHelpIs() {
    ServerCliRun run = ServerCliRun.server("serve", "--uplods", "/srv/drop");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines().toList())
        .containsExactly(
            "auth-server: Unknown options: '--uplods', '/srv/drop'",
            "Possible solutions: --uploads",
            "see 'auth-server serve --help'");
  }

  @Test
  void aMisspelledClientOptionGetsTheSame() {
    CliRun run = CliRun.client("ping", "--sever", "127.0.0.1:7350", "--key", "k");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("auth-client: ").contains("--server");
    assertThat(run.err().lines().toList()).last().isEqualTo("see 'auth-client ping --help'");
    assertThat(run.err().lines().count()).isLessThanOrEqualTo(3);
  }

  @Test
  void aMissingSubcommandSaysWhereHelpIs() {
    CliRun run = CliRun.client();

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("auth-client: missing subcommand\nsee 'auth-client --help'\n");
  }

  @Test
  void helpIsASubcommandOfBothPrograms() {
    ServerCliRun serve = ServerCliRun.server("help", "serve");
    assertThat(serve.exit()).isZero();
    assertThat(serve.out()).startsWith("Usage: auth-server serve ");

    CliRun upload = CliRun.client("help", "upload");
    assertThat(upload.exit()).isZero();
    assertThat(upload.out()).startsWith("Usage: auth-client upload ");
  }

  @Test
  void theProxyProtocolAndItsTrustedProxiesComeTogetherOrAUsageErrorSaysWhichIsMissing() {
    ServerCliRun alone = ServerCliRun.server("serve", "--port", "0", "--proxy-protocol");
    ServerCliRun trustedOnly = ServerCliRun.server("serve", "--trusted-proxies", "10.0.0.5");
    ServerCliRun notABlock =
        ServerCliRun.server("serve", "--proxy-protocol", "--trusted-proxies", "haproxy.lan");

    assertThat(alone.exit()).isEqualTo(2);
    assertThat(alone.err()).contains("--proxy-protocol needs --trusted-proxies");
    assertThat(trustedOnly.exit()).isEqualTo(2);
    assertThat(trustedOnly.err()).contains("only used with --proxy-protocol");
    assertThat(notABlock.exit()).isEqualTo(2);
    assertThat(notABlock.err()).contains("'haproxy.lan' is not an address block");
  }
}
