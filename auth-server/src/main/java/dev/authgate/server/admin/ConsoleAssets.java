package dev.authgate.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The console's files, served from the jar by exact name (no path is ever resolved, so no request
 * reaches another file): the page, its script and style, and the libraries it is built with —
 * Preact (rendering, hooks) and uPlot (the chart), from their webjars. The page's only inline
 * script is its import map, allowed by its hash in the page's Content-Security-Policy; nothing else
 * inline runs, and nothing is fetched from anywhere but this port.
 */
final class ConsoleAssets {
  private static final String HERE = "/dev/authgate/server/admin/console/";
  private static final String WEBJARS = "/META-INF/resources/webjars/";

  /** Request path to the resource it serves. */
  static final Map<String, String> FILES =
      Map.of(
          "/", HERE + "index.html",
          "/console/app.js", HERE + "app.js",
          "/console/pages.js", HERE + "pages.js",
          "/console/api.js", HERE + "api.js",
          "/console/app.css", HERE + "app.css",
          "/vendor/preact.js", WEBJARS + "preact/10.27.2/dist/preact.module.js",
          "/vendor/preact-hooks.js", WEBJARS + "preact/10.27.2/hooks/dist/hooks.module.js",
          "/vendor/uplot.js", WEBJARS + "uplot/1.6.30/dist/uPlot.esm.js",
          "/vendor/uplot.css", WEBJARS + "uplot/1.6.30/dist/uPlot.min.css");

  private static final Pattern IMPORT_MAP =
      Pattern.compile("<script type=\"importmap\">(.*?)</script>", Pattern.DOTALL);

  private final Map<String, byte[]> bodies;
  private final String pagePolicy;

  ConsoleAssets() throws IOException {
    Map<String, byte[]> read = new java.util.HashMap<>();
    for (Map.Entry<String, String> file : FILES.entrySet()) {
      try (InputStream in = ConsoleAssets.class.getResourceAsStream(file.getValue())) {
        if (in == null) {
          throw new IOException(file.getValue() + " is missing from the jar");
        }
        read.put(file.getKey(), in.readAllBytes());
      }
    }
    bodies = Map.copyOf(read);
    Matcher importMap = IMPORT_MAP.matcher(new String(bodies.get("/"), StandardCharsets.UTF_8));
    if (!importMap.find()) {
      throw new IOException("the console's page has no import map");
    }
    pagePolicy =
        "default-src 'none'; script-src 'self' 'sha256-"
            + sha256(importMap.group(1))
            + "'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none';"
            + " form-action 'none'; frame-ancestors 'none'";
  }

  /** The page's Content-Security-Policy. */
  String pagePolicy() {
    return pagePolicy;
  }

  /** Serves {@code path} if it is one of the console's files; false if it is not. */
  boolean serve(String method, String path, Response response, Callback callback) {
    byte[] body = bodies.get(path);
    if (body == null) {
      return false;
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new ApiException(405, "method-not-allowed", path + " takes GET only");
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type(path));
    if (path.equals("/")) {
      response.getHeaders().put("Content-Security-Policy", pagePolicy);
    }
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }

  private static String type(String path) {
    if (path.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    if (path.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "text/html; charset=utf-8";
  }

  private static String sha256(String text) {
    try {
      return Base64.getEncoder()
          .encodeToString(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
