package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code auth-client} builds only the subcommand a command line names (start-up time); the full
 * list still reaches help, suggestions, man pages and completion.
 */
class SubcommandTableTest {
  @Test
  void theTableAndTheAnnotatedListForTheDocumentationToolsAreTheSameInTheSameOrder() {
    List<Class<?>> annotated =
        Arrays.asList(
            AuthClientCommand.WithAllSubcommands.class.getAnnotation(Command.class).subcommands());
    assertThat(List.copyOf(AuthClientCommand.SUBCOMMANDS.values())).isEqualTo(annotated);
    AuthClientCommand.SUBCOMMANDS.forEach(
        (name, type) -> assertThat(type.getAnnotation(Command.class).name()).isEqualTo(name));
  }

  @Test
  void theDocumentationToolsSeeTheRootCommandWithEverySubcommand() {
    CommandLine full = new CommandLine(new AuthClientCommand.WithAllSubcommands());
    assertThat(full.getCommandName()).isEqualTo("auth-client");
    assertThat(full.getSubcommands().keySet())
        .containsExactlyElementsOf(AuthClientCommand.SUBCOMMANDS.keySet());
  }

  @Test
  void helpListsEveryVisibleSubcommand() {
    CliRun run = CliRun.client("--help");

    assertThat(run.exit()).isZero();
    for (String name :
        List.of("ping", "upload", "list", "get", "chat", "send", "bench", "enroll")) {
      assertThat(run.out()).containsPattern("(?m)^  " + name + " ");
    }
    assertThat(run.out()).doesNotContain("startup-training");
  }

  @Test
  void aMisspelledSubcommandStillGetsASuggestion() {
    CliRun run = CliRun.client("uplaod", "file.bin");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("uplaod").contains("upload");
  }

  @Test
  void aSubcommandsOwnHelpAndVersionWorkWhenOnlyItIsBuilt() {
    CliRun help = CliRun.client("ping", "--help");
    CliRun version = CliRun.client("ping", "--version");

    assertThat(help.exit()).isZero();
    assertThat(help.out()).startsWith("Usage: auth-client ping ");
    assertThat(version.exit()).isZero();
    assertThat(version.out()).startsWith("authgate ");
  }
}
