package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
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
}
