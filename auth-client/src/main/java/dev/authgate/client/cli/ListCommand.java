package dev.authgate.client.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TransferTimeoutOption;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code auth-client list}: the files published for this machine. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
      "List the files this machine may fetch with 'get': its own and those shared with every"
          + " machine (a machine's own file wins over a shared one of the same name).",
      "With --json: one JSON array of {\"name\",\"size\",\"modified\",\"sha256\",\"shared\"}."
    })
final class ListCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Option(names = "--json", description = "One JSON array on stdout instead of a table.")
  boolean json;

  @Mixin TransferTimeoutOption timeout;

  @Override
  public Integer call() throws IOException {
    List<FileListing.Entry> entries = target.client(timeout.get()).list();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(json(entries));
    } else if (entries.isEmpty()) {
      spec.commandLine().getErr().println("auth-client: no files are published for this client");
    } else {
      int width = entries.stream().mapToInt(e -> e.name().length()).max().orElse(4);
      width = Math.max(4, Math.min(width, 60));
      out.printf(
          Locale.ROOT,
          "%-" + width + "s  %14s  %-16s  %-12s  %s%n",
          "NAME",
          "SIZE",
          "MODIFIED (UTC)",
          "SHA256",
          "FROM");
      for (FileListing.Entry e : entries) {
        out.printf(
            Locale.ROOT,
            "%-" + width + "s  %14d  %-16s  %-12s  %s%n",
            TerminalText.escape(e.name()),
            e.size(),
            WHEN.format(Instant.ofEpochMilli(e.modifiedMillis())),
            HexFormat.of().formatHex(e.sha256()).substring(0, 12),
            e.shared() ? "shared" : "own");
      }
    }
    out.flush();
    return 0;
  }

  static String json(List<FileListing.Entry> entries) throws IOException {
    StringWriter text = new StringWriter();
    try (JsonGenerator json = new JsonFactory().createGenerator(text)) {
      json.writeStartArray();
      for (FileListing.Entry e : entries) {
        json.writeStartObject();
        json.writeStringField("name", e.name());
        json.writeNumberField("size", e.size());
        json.writeStringField("modified", Instant.ofEpochMilli(e.modifiedMillis()).toString());
        json.writeStringField("sha256", HexFormat.of().formatHex(e.sha256()));
        json.writeBooleanField("shared", e.shared());
        json.writeEndObject();
      }
      json.writeEndArray();
    }
    // Names cannot hold controls, but bidi controls and separators are escaped all the same.
    return TerminalText.escape(text.toString());
  }
}
