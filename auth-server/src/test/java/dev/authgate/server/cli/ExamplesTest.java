package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every example in {@code --help} and the man pages is a command line the server accepts: the
 * examples cannot name an option that does not exist (or no longer does).
 */
class ExamplesTest {
  static List<List<String>> examples(CommandLine command) {
    List<List<String>> found = new ArrayList<>();
    for (String line : command.getCommandSpec().usageMessage().footer()) {
      String text = line.strip();
      if (!text.startsWith("auth-server ") || text.contains("<command>")) {
        continue;
      }
      String commandLine = text.replaceAll("\\s+(<|>|\\||\\(|&&).*$", "");
      found.add(List.of(commandLine.substring("auth-server ".length()).split("\\s+")));
    }
    command.getSubcommands().values().forEach(sub -> found.addAll(examples(sub)));
    return found;
  }

  @Test
  void everyExampleParses() {
    List<List<String>> examples = examples(new CommandLine(new AuthServerCommand()));
    assertThat(examples).hasSizeGreaterThan(10);
    for (List<String> args : examples) {
      assertThatCode(
              () -> new CommandLine(new AuthServerCommand()).parseArgs(args.toArray(String[]::new)))
          .as(String.join(" ", args))
          .doesNotThrowAnyException();
    }
  }
}
