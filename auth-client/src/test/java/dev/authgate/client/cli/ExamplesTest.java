package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every example in {@code --help} and the man pages is a command line the client accepts: the
 * examples cannot name an option that does not exist (or no longer does).
 */
class ExamplesTest {
  /** The example lines of every command, as {@code auth-client ...} argument lists. */
  static List<List<String>> examples(CommandLine command, String program) {
    List<List<String>> found = new ArrayList<>();
    for (String line : command.getCommandSpec().usageMessage().footer()) {
      String text = line.strip();
      if (!text.startsWith(program + " ") || text.contains("<command>")) {
        continue;
      }
      // The command line itself: before a pipe, a redirection or a trailing remark.
      String commandLine = text.replaceAll("\\s+(<|>|\\||\\(|&&).*$", "");
      found.add(List.of(commandLine.substring(program.length() + 1).split("\\s+")));
    }
    command.getSubcommands().values().forEach(sub -> found.addAll(examples(sub, program)));
    return found;
  }

  @Test
  void everyExampleParses() {
    CommandLine all = new CommandLine(new AuthClientCommand.WithAllSubcommands());
    List<List<String>> examples = examples(all, "auth-client");
    assertThat(examples).hasSizeGreaterThan(10);
    for (List<String> args : examples) {
      List<String> unquoted = args.stream().map(a -> a.replaceAll("^['\"]|['\"]$", "")).toList();
      assertThatCode(
              () ->
                  new CommandLine(new AuthClientCommand.WithAllSubcommands())
                      .parseArgs(unquoted.toArray(String[]::new)))
          .as(String.join(" ", args))
          .doesNotThrowAnyException();
    }
  }
}
