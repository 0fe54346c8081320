package dev.authgate.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.authgate.protocol.text.TerminalText;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditFollower;
import dev.authgate.server.audit.AuditReader;
import dev.authgate.server.audit.AuditSummary;
import dev.authgate.server.audit.AuditTimes;
import dev.authgate.server.cli.help.ServerExitStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code auth-server audit}: summarise or follow the audit log. */
@Command(
    name = "audit",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-server audit --since 1h",
      "  auth-server audit --follow",
      "  auth-server audit --json --audit-log gw1/audit.jsonl --audit-log gw2/audit.jsonl"
    },
    mixinStandardHelpOptions = true,
    description = "Summarise accepted and rejected connections, or follow new rejections.")
final class AuditCommand implements Callable<Integer> {
  @Mixin ServerExitStatus exitStatus;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Option(
      names = "--audit-log",
      paramLabel = "FILE",
      defaultValue = "logs/audit.jsonl",
      description =
          "The audit log; rotated files beside it (FILE.*, gzip too) are read as well. Repeat it"
              + " to read several servers' logs as one (default: ${DEFAULT-VALUE}).")
  List<Path> auditLogs;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The server's properties file: its audit-log= becomes this command's default (default:"
              + " $AUTHGATE_CONFIG, else /etc/authgate/authgate.properties when it exists).")
  Path config;

  @Option(
      names = "--since",
      paramLabel = "DURATION|TIME",
      description = "Only events since then: 1h, 30m, 7d, 2026-11-22 or 2026-11-22T10:00:00Z.")
  String since;

  @Option(
      names = "--top",
      paramLabel = "N",
      defaultValue = "10",
      description = "Groups shown per table (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--json", description = "One JSON document (or, with --follow, JSON lines).")
  boolean json;

  @Option(names = "--follow", description = "Print new rejections as they happen, until Ctrl-C.")
  boolean follow;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    if (follow) {
      follow(out);
      return 0;
    }
    List<Path> files = new java.util.ArrayList<>();
    for (Path auditLog : auditLogs) {
      List<Path> these = AuditReader.files(auditLog);
      if (these.isEmpty()) {
        throw new NoSuchFileException(auditLog + ": no audit log there (see serve --audit-log)");
      }
      files.addAll(these);
    }
    Instant from = since == null ? null : parseSince(since, Clock.systemUTC());
    AuditSummary summary = new AuditSummary(from);
    AuditReader reader = new AuditReader();
    reader.read(files, summary::add);
    for (String damaged : reader.damagedFiles()) {
      spec.commandLine()
          .getErr()
          .println(
              "auth-server: warning: "
                  + TerminalText.escape(damaged)
                  + " is cut short or corrupt; counted up to the damage");
    }
    if (reader.malformedLines() > 0) {
      spec.commandLine()
          .getErr()
          .printf(
              "auth-server: warning: skipped %d damaged lines (torn by a full disk, or not audit"
                  + " events)%n",
              reader.malformedLines());
    }
    if (json) {
      out.println(TerminalText.escape(JSON.writeValueAsString(summary.toJson(JSON, top))));
    } else {
      printTables(out, summary, files.size(), from, reader.malformedLines());
    }
    out.flush();
    return 0;
  }

  /** {@code 1h} means an hour ago; a date means its start (UTC); an instant means itself. */
  static Instant parseSince(String text, Clock clock) {
    return AuditTimes.parse(text, clock, "--since");
  }

  /** Follows every log at once, one thread each, printing rejections as they come. */
  private void follow(PrintWriter out) throws IOException, InterruptedException {
    if (auditLogs.size() == 1) {
      new AuditFollower(auditLogs.get(0))
          .follow(event -> printRejection(out, event), () -> true, Duration.ofMillis(250));
      return;
    }
    List<Thread> followers = new java.util.ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<Exception> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
    for (Path log : auditLogs) {
      followers.add(
          Thread.ofVirtual()
              .name("follow-" + log.getFileName())
              .start(
                  () -> {
                    try {
                      new AuditFollower(log)
                          .follow(
                              event -> printRejection(out, event),
                              () -> failed.get() == null,
                              Duration.ofMillis(250));
                    } catch (IOException | InterruptedException e) {
                      failed.compareAndSet(null, e);
                    }
                  }));
    }
    for (Thread follower : followers) {
      follower.join();
    }
    if (failed.get() instanceof IOException e) {
      throw e;
    }
  }

  private void printTables(
      PrintWriter out, AuditSummary summary, int files, Instant from, long malformed) {
    out.printf(
        "%s (%d file%s)%s: %d accepted, %d rejected%n",
        String.join(" + ", auditLogs.stream().map(Path::toString).toList()),
        files,
        files == 1 ? "" : "s",
        from == null ? "" : " since " + from,
        summary.accepted(),
        summary.rejected());
    if (malformed > 0) {
      out.printf("(%d lines were not audit events and were skipped)%n", malformed);
    }
    for (String grouping : summary.groupings()) {
      List<Map.Entry<String, AuditSummary.Group>> groups = summary.top(grouping, top);
      if (groups.isEmpty()) {
        continue;
      }
      out.printf("%nrejections by %s%n", grouping.replace('_', ' '));
      String format = "  %-40s %10s  %-24s  %-24s%n";
      out.printf(format, grouping.toUpperCase(java.util.Locale.ROOT), "COUNT", "FIRST", "LAST");
      for (Map.Entry<String, AuditSummary.Group> e : groups) {
        out.printf(
            format,
            TerminalText.escape(e.getKey()),
            e.getValue().count(),
            TerminalText.escape(e.getValue().first()),
            TerminalText.escape(e.getValue().last()));
      }
    }
  }

  private synchronized void printRejection(PrintWriter out, JsonNode event) {
    if (!event.path("event").asText().equals(AuditEventType.AUTH_REJECTED.wireName())) {
      return;
    }
    if (json) {
      // JSON escapes C0 controls itself; escaping the rest turns them into \\u escapes, which keeps
      // the line valid JSON with the same meaning.
      out.println(TerminalText.escape(event.toString()));
    } else {
      out.printf(
          "%s  %s%-18s %-24s %-22s %s%n",
          TerminalText.escape(event.path("ts").asText()),
          event.hasNonNull("server_id")
              ? "[" + TerminalText.escape(event.path("server_id").asText()) + "] "
              : "",
          TerminalText.escape(event.path("reason").asText()),
          TerminalText.escape(event.path("client_id").asText("-")),
          TerminalText.escape(
              event.hasNonNull("remote")
                  ? event.path("remote").asText()
                  : event.path("source").asText()),
          TerminalText.escape(
              event.path("count").asLong(1) > 1
                  ? event.path("count").asLong() + " connections: " + event.path("detail").asText()
                  : event.path("detail").asText("")));
    }
    out.flush();
  }

  static {
    JSON.disable(SerializationFeature.INDENT_OUTPUT);
  }
}
