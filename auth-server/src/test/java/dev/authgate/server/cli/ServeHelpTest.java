package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@code serve --help} in sections an operator can scan, every option in one of them. */
class ServeHelpTest {
  @Test
  void everyOptionIsInExactlyOneSection() {
    List<String> options = new ArrayList<>();
    for (OptionSpec option : new CommandLine(new ServeCommand()).getCommandSpec().options()) {
      if (!option.hidden()) {
        options.add(option.longestName());
      }
    }
    List<String> placed = ServeHelp.SECTIONS.values().stream().flatMap(List::stream).toList();
    assertThat(placed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(options);
  }

  @Test
  void helpShowsTheSectionsInOrderWithTheirOptions() {
    String help = ServerCliRun.server("serve", "--help").out();

    int previous = -1;
    for (String heading : ServeHelp.SECTIONS.keySet()) {
      int at = help.indexOf("\n" + heading + ":\n");
      assertThat(at).as(heading).isGreaterThan(previous);
      previous = at;
    }
    assertThat(help).doesNotContain("\nOther:\n");
    String defences =
        help.substring(help.indexOf("\nDefences:\n"), help.indexOf("\nChat and datagrams:\n"));
    assertThat(defences)
        .contains("--penalty-authfail")
        .contains("--max-startups")
        .doesNotContain("--port");
  }

  /**
   * docs/OPERATIONS.md's table of serve options ("Serve") names every option serve has, and none it
   * does not.
   */
  @Test
  void theOperationsTableNamesEveryOptionAndNoOther() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("..", "docs", "OPERATIONS.md"));
    int start = lines.indexOf("## Serve");
    assertThat(start).as("OPERATIONS.md has a section \"Serve\"").isNotNegative();
    Set<String> documented = new TreeSet<>();
    Pattern option = Pattern.compile("--(?:\\[no-\\])?([a-z][a-z0-9-]*)");
    boolean inTable = false;
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.equals("| option | default | meaning |")) {
        inTable = true;
      } else if (inTable && line.startsWith("| ")) {
        Matcher names = option.matcher(line.substring(1, line.indexOf('|', 1)));
        while (names.find()) {
          documented.add("--" + names.group(1));
        }
      } else if (inTable && !line.startsWith("|")) {
        break;
      }
    }
    Set<String> options = new TreeSet<>();
    for (OptionSpec spec : new CommandLine(new ServeCommand()).getCommandSpec().options()) {
      if (!spec.hidden() && !spec.usageHelp() && !spec.versionHelp()) {
        options.add(spec.longestName().replace("--[no-]", "--"));
      }
    }
    assertThat(documented).containsExactlyElementsOf(options);
  }
}
