package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditFollowerTest {
  @TempDir Path dir;

  private static void append(Path file, String text) throws Exception {
    Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void handsOverNewCompleteLinesAndFollowsRotation() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    append(log, "{\"event\":\"old\"}\n");
    AuditFollower follower = new AuditFollower(log);
    List<String> seen = new ArrayList<>();
    java.util.function.Consumer<JsonNode> sink = e -> seen.add(e.path("event").asText());

    follower.start();
    follower.poll(sink);
    assertThat(seen).isEmpty();

    append(log, "{\"event\":\"one\"}\n{\"event\":\"tw");
    follower.poll(sink);
    assertThat(seen).containsExactly("one");

    append(log, "o\"}\n");
    follower.poll(sink);
    assertThat(seen).containsExactly("one", "two");

    Files.move(log, dir.resolve("audit.jsonl.1"));
    append(log, "{\"event\":\"three\"}\n");
    follower.poll(sink);
    assertThat(seen).containsExactly("one", "two", "three");

    Files.writeString(log, "{\"event\":\"four\"}\n");
    follower.poll(sink);
    assertThat(seen).containsExactly("one", "two", "three", "four");
  }
}
