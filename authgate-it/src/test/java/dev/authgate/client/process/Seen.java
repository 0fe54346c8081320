package dev.authgate.client.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Every line a process printed so far, kept (unlike {@link Lines}, which hands each out once), with
 * what tests ask of chat JSON lines.
 */
final class Seen {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Lines lines;
  private final List<String> all = new ArrayList<>();

  Seen(Process process) {
    this.lines = new Lines(process);
  }

  /** Every line so far. */
  synchronized List<String> all() {
    all.addAll(lines.rest());
    return all;
  }

  /** Whether some line so far contains {@code text}. */
  boolean has(String text) {
    return all().stream().anyMatch(l -> l.contains(text));
  }

  /** The {@code text} of every JSON line so far whose {@code type} is one of {@code types}. */
  List<String> texts(Set<String> types) throws IOException {
    List<String> texts = new ArrayList<>();
    for (String line : all()) {
      JsonNode event = JSON.readTree(line);
      if (types.contains(event.path("type").asText())) {
        texts.add(event.path("text").asText());
      }
    }
    return texts;
  }

  /** What a reconnecting chat reported as sent. */
  List<String> sent() throws IOException {
    return texts(Set.of("sent"));
  }

  /** What a chat member heard said, live or as history. */
  List<String> heard() throws IOException {
    return texts(Set.of("message", "history"));
  }
}
