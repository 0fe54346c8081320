package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The admin API's OpenAPI document as a test holds answers to it: every answer a test sees is
 * validated (by networknt's JSON Schema validator, OpenAPI 3.1 dialect) against the schema the
 * document gives its route and status, and every route and status the document names must have been
 * seen by the end.
 */
final class OpenApiContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASE = "https://authgate.invalid/openapi.json";

  private final JsonNode document;
  private final SchemaRegistry registry;
  private final Map<String, Boolean> seen = new ConcurrentHashMap<>();

  OpenApiContract() {
    try (InputStream in = AdminServer.class.getResourceAsStream(AdminServer.OPENAPI_RESOURCE)) {
      String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      document = JSON.readTree(text);
      registry =
          SchemaRegistry.withDefaultDialect(
              Dialects.getOpenApi31(), b -> b.schemas(Map.of(BASE, text)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The document as parsed. */
  JsonNode document() {
    return document;
  }

  /** Every {@code METHOD /path status} the document names. */
  Set<String> routes() {
    Set<String> all = new TreeSet<>();
    document
        .path("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op ->
                            op.getValue()
                                .path("responses")
                                .fieldNames()
                                .forEachRemaining(
                                    status ->
                                        all.add(
                                            op.getKey().toUpperCase(Locale.ROOT)
                                                + " "
                                                + path.getKey()
                                                + " "
                                                + status))));
    return all;
  }

  /** The routes and statuses no answer has been checked against yet. */
  Set<String> unseen() {
    Set<String> left = routes();
    left.removeAll(seen.keySet());
    return left;
  }

  /**
   * Checks one answer: its route must be in the document with this status, and its body must match
   * that status's schema.
   *
   * @param path the request's path, without the query
   */
  void check(String method, String path, int status, String body) {
    String template = template(path);
    assertThat(template).as("a route of the document for %s", path).isNotNull();
    JsonNode responses =
        document
            .path("paths")
            .path(template)
            .path(method.toLowerCase(Locale.ROOT))
            .path("responses");
    assertThat(responses.has(Integer.toString(status)))
        .as("%s %s answers %d, which the document names: %s", method, template, status, body)
        .isTrue();
    if (responses.path(Integer.toString(status)).path("content").has("text/event-stream")) {
      seen.put(method + " " + template + " " + status, true); // a stream: checked by its test
      return;
    }
    JsonNode schemaNode =
        responses
            .path(Integer.toString(status))
            .path("content")
            .path("application/json")
            .path("schema");
    assertThat(schemaNode.isMissingNode())
        .as("a schema for %s %s %d", method, template, status)
        .isFalse();
    String pointer =
        "/paths/"
            + escape(template)
            + "/"
            + method.toLowerCase(Locale.ROOT)
            + "/responses/"
            + status
            + "/content/application~1json/schema";
    Schema schema = registry.getSchema(SchemaLocation.of(BASE + "#" + pointer));
    JsonNode instance;
    try {
      instance = JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " " + status + " is not JSON: " + body, e);
    }
    List<Error> errors = schema.validate(instance);
    List<String> said = new ArrayList<>();
    errors.forEach(e -> said.add(e.toString()));
    assertThat(said)
        .as("%s %s %d matches the document; body %s", method, template, status, body)
        .isEmpty();
    seen.put(method + " " + template + " " + status, true);
  }

  /** The document's path template {@code path} matches, or null. */
  String template(String path) {
    for (Iterator<String> it = document.path("paths").fieldNames(); it.hasNext(); ) {
      String template = it.next();
      String regex = "\\Q" + template.replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q") + "\\E";
      if (Pattern.matches(regex, path)) {
        return template;
      }
    }
    return null;
  }

  private static String escape(String template) {
    return template.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D");
  }
}
