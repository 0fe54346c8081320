package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The audit events the server writes are exactly those docs/OPERATIONS.md documents ("The audit
 * log", its table of events): a new event without a row, or a row for an event that no longer
 * exists, fails here.
 */
class AuditEventTypeTest {
  private static final Path OPERATIONS = Path.of("..", "docs", "OPERATIONS.md");

  /** The event names in the first column of the audit log's table. */
  static Set<String> documentedEvents() throws IOException {
    List<String> lines = Files.readAllLines(OPERATIONS);
    int start = lines.indexOf("## The audit log");
    assertThat(start).as("OPERATIONS.md has a section \"The audit log\"").isNotNegative();
    Set<String> names = new TreeSet<>();
    Pattern name = Pattern.compile("`([a-z]+\\.[a-z_-]+)`");
    boolean inTable = false;
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.startsWith("#")) {
        break;
      }
      if (line.equals("| event | fields |")) {
        inTable = true;
      } else if (inTable && line.startsWith("| `")) {
        String firstColumn = line.substring(1, line.indexOf('|', 1));
        Matcher m = name.matcher(firstColumn);
        while (m.find()) {
          names.add(m.group(1));
        }
      } else if (inTable && !line.startsWith("|") && !line.startsWith("`")) {
        inTable = false;
      }
    }
    return names;
  }

  @Test
  void everyEventIsDocumentedAndEveryDocumentedEventExists() throws IOException {
    Set<String> written =
        Arrays.stream(AuditEventType.values())
            .map(AuditEventType::wireName)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(documentedEvents()).containsExactlyElementsOf(written);
  }

  @Test
  void wireNamesAreUniqueAndFoundAgain() {
    for (AuditEventType type : AuditEventType.values()) {
      assertThat(AuditEventType.fromWireName(type.wireName())).contains(type);
    }
    assertThat(AuditEventType.fromWireName("auth.nonsense")).isEmpty();
  }

  @Test
  void refusalsAndFailuresAreForwardedAsWarnings() {
    assertThat(AuditEventType.AUTH_REJECTED.severity()).isEqualTo(AuditEventType.Severity.WARNING);
    assertThat(AuditEventType.UPLOAD_FAILED.severity()).isEqualTo(AuditEventType.Severity.WARNING);
    assertThat(AuditEventType.SERVER_STARTED.severity()).isEqualTo(AuditEventType.Severity.NOTICE);
    assertThat(AuditEventType.AUTH_ACCEPTED.severity()).isEqualTo(AuditEventType.Severity.INFO);
  }
}
