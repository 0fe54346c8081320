package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.keyfile.AdminToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin token create|list|revoke}: shown once, a digest kept, every change audited. */
class AdminTokenCommandTest {
  @TempDir Path dir;

  private ServerCliRun admin(String... args) {
    List<String> all = new ArrayList<>(List.of("admin", "token"));
    all.addAll(List.of(args));
    all.addAll(List.of("--keys", dir.resolve("keys").toString()));
    if (!args[0].equals("list")) {
      all.addAll(List.of("--audit-log", dir.resolve("audit.jsonl").toString()));
    }
    return server(all.toArray(String[]::new));
  }

  @Test
  void createPrintsTheTokenOnce_keepsItsDigest_andAuditsIt() throws IOException {
    ServerCliRun created = admin("create", "--name", "ci", "--scope", "write", "--expires", "30d");

    assertThat(created.exit()).as(created.err()).isZero();
    AdminToken token = AdminToken.parse(created.out());
    assertThat(created.err())
        .startsWith("admin token 'ci' (" + token.tokenId() + ", write) works until ")
        .contains("it is shown only now");
    String secret = token.text().substring(22);
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(f)).as(f.toString()).doesNotContain(secret);
      }
    }
    String audit = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(audit)
        .contains("\"event\":\"admin.token_created\",\"token_id\":\"" + token.tokenId() + "\"")
        .contains("\"name\":\"ci\",\"scope\":\"write\",\"expires_s\":2592000")
        .contains("\"operator\":");
  }

  @Test
  void listShowsNameScopeAndState_revokeByNameStopsIt() throws IOException {
    String id = AdminToken.parse(admin("create", "--name", "ci").out()).tokenId();
    admin("create", "--name", "alice", "--scope", "write");

    ServerCliRun revoked = admin("revoke", "ci");
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    assertThat(revoked.err()).isEqualTo("revoked admin token 'ci' (" + id + ")\n");

    ServerCliRun table = admin("list");
    assertThat(table.out()).startsWith("TOKEN").contains(id + "  ci     read   revoked");
    JsonNode json = new ObjectMapper().readTree(admin("list", "--json").out());
    assertThat(json).hasSize(2);
    // Oldest first, then by name: both were made within the second.
    assertThat(json.get(0).path("name").asText()).isEqualTo("alice");
    assertThat(json.get(0).path("scope").asText()).isEqualTo("write");
    assertThat(json.get(1).path("state").asText()).isEqualTo("revoked");
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"event\":\"admin.token_revoked\",\"token_id\":\"" + id + "\",\"name\":\"ci\"");
  }

  @Test
  void badInputIsAUsageErrorAndChangesNothing() {
    for (String[] bad :
        new String[][] {
          {"create", "--name", "ci", "--scope", "root"},
          {"create", "--name", "-ci"},
          {"create", "--name", "ci", "--expires", "0s"},
          {"create"},
        }) {
      ServerCliRun run = admin(bad);
      assertThat(run.exit()).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(run.out()).isEmpty();
    }
    assertThat(Files.exists(dir.resolve("keys/admin"))).isFalse();
    ServerCliRun taken = admin("create", "--name", "ci");
    ServerCliRun again = admin("create", "--name", "ci");
    assertThat(taken.exit()).isZero();
    assertThat(again.exit()).isNotZero();
    assertThat(again.out()).isEmpty();
    assertThat(again.err()).contains("an admin token named 'ci' exists");
    ServerCliRun unknown = admin("revoke", "nobody");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err()).contains("no admin token named 'nobody'");
  }
}
