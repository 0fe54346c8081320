package dev.authgate.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Reads audit events back: the live log and its rotated siblings ({@code audit.jsonl.1}, {@code
 * audit.jsonl.2026-11-22.0.gz}, ...), oldest first, gzip or plain. Streams line by line, so memory
 * does not depend on the size of the logs. A line that is not a JSON object is counted and skipped.
 * Not thread-safe.
 */
public final class AuditReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The suffix of a rotated file still being compressed; never read. */
  static final String PARTIAL = ".partial";

  private long malformedLines;

  /** The live log and its rotated files, oldest first (by modification time, live log last). */
  public static List<Path> files(Path log) throws IOException {
    Path dir = log.toAbsolutePath().getParent();
    String name = log.getFileName().toString();
    List<Path> rotated = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> siblings = Files.list(dir)) {
        siblings
            .filter(p -> p.getFileName().toString().startsWith(name + "."))
            .filter(p -> !p.getFileName().toString().endsWith(PARTIAL))
            .filter(Files::isRegularFile)
            .forEach(rotated::add);
      }
    }
    rotated.sort(Comparator.comparing(AuditReader::modified).thenComparing(Path::toString));
    if (Files.exists(log)) {
      rotated.add(log);
    }
    return rotated;
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  /**
   * Feeds every event of {@code files}, in order, to {@code sink}. A gzip that is cut short or
   * corrupt gives the events before the damage, and is named in {@link #damagedFiles()}: the rest
   * of the log is still read.
   */
  public void read(List<Path> files, Consumer<JsonNode> sink) throws IOException {
    for (Path file : files) {
      try (InputStream raw = Files.newInputStream(file);
          InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
          BufferedReader lines =
              new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
        for (String line; (line = lines.readLine()) != null; ) {
          JsonNode event = parse(line);
          if (event != null) {
            sink.accept(event);
          }
        }
      } catch (java.util.zip.ZipException | java.io.EOFException e) {
        if (!file.toString().endsWith(".gz")) {
          throw e;
        }
        damaged.add(file + " (" + e.getMessage() + ")");
      }
    }
  }

  /** Gzipped files that ended early or were corrupt, each with what was wrong; read up to there. */
  public List<String> damagedFiles() {
    return List.copyOf(damaged);
  }

  private final List<String> damaged = new java.util.ArrayList<>();

  /** One line as an event, or null (and counted) if it is not a JSON object. */
  JsonNode parse(String line) {
    if (line.isBlank()) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(line);
      if (node != null && node.isObject()) {
        return node;
      }
    } catch (JsonProcessingException e) {
      // Counted below: a torn or foreign line must not stop the summary.
    }
    malformedLines++;
    return null;
  }

  /** Lines skipped because they were not JSON objects. */
  public long malformedLines() {
    return malformedLines;
  }
}
