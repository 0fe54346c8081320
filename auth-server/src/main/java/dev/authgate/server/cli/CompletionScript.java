package dev.authgate.server.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Writes the bash/zsh completion script of a command, as picocli's {@link AutoComplete} makes it,
 * plus the negated form of every negatable option ({@code --no-audit-daily} beside {@code
 * --audit-daily}), which picocli's script leaves out. The build runs it for both commands: {@code
 * CompletionScript NAME COMMAND-CLASS OUT-FILE}.
 */
public final class CompletionScript {
  private CompletionScript() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: CompletionScript NAME COMMAND-CLASS OUT-FILE");
    }
    CommandLine command =
        new CommandLine(Class.forName(args[1]).getDeclaredConstructor().newInstance());
    Files.writeString(Path.of(args[2]), script(args[0], command), StandardCharsets.UTF_8);
  }

  /** The completion script of {@code command}, negated options included. */
  static String script(String name, CommandLine command) {
    String script = AutoComplete.bash(name, command);
    for (String option : negatable(command, new LinkedHashSet<>())) {
      String negated =
          command.getNegatableOptionTransformer().makeNegative(option, command.getCommandSpec());
      script = script.replace("'" + option + "'", "'" + option + "' '" + negated + "'");
    }
    return script;
  }

  private static Set<String> negatable(CommandLine command, Set<String> found) {
    for (OptionSpec option : command.getCommandSpec().options()) {
      if (option.negatable()) {
        found.add(option.longestName());
      }
    }
    command.getSubcommands().values().forEach(sub -> negatable(sub, found));
    return found;
  }
}
