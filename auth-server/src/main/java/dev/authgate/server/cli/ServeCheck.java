package dev.authgate.server.cli;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.server.keystore.HostKeys;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code serve --check} (like {@code sshd -t}) and {@code serve --print-config} ({@code sshd -T}):
 * what a start would use and whether it could, checked without listening, so an operator finds a
 * mistake before the service restarts on it.
 */
final class ServeCheck {
  /** Options that are not settings of a server. */
  static final java.util.Set<String> NOT_SETTINGS =
      java.util.Set.of("help", "version", "config", "verbose", "check", "print-config");

  private ServeCheck() {}

  /**
   * Checks the keystore (every key file, and the host key), and that the audit log and the uploads
   * directory can be written where they are configured.
   *
   * @return the problems found: empty when a start would get past them
   */
  static List<String> problems(
      Path keys, Path auditLog, Path uploads, Path published, PrintWriter notes) {
    List<String> problems = new ArrayList<>();
    try {
      KeystoreSnapshot snapshot =
          new KeystoreDirectory(keys, Clock.systemUTC(), RandomSource.secure()).load();
      for (KeystoreSnapshot.Skipped skipped : snapshot.skipped()) {
        notes.println("warning: a start would skip " + skipped.problem());
      }
      notes.println(
          "keystore "
              + keys
              + ": "
              + snapshot.clients().size()
              + (snapshot.clients().size() == 1 ? " client, " : " clients, ")
              + snapshot.keyCount()
              + (snapshot.keyCount() == 1 ? " key" : " keys"));
    } catch (IOException e) {
      problems.add(e.getMessage());
    }
    HostKeys hostKeys =
        new HostKeys(keys, System.getenv(), Clock.systemUTC(), RandomSource.secure());
    if (!Files.exists(hostKeys.location(), LinkOption.NOFOLLOW_LINKS)) {
      notes.println(
          "host key: none yet; a start makes one at " + hostKeys.location() + " (or: keys init)");
    } else {
      try {
        notes.println(
            "host key "
                + hostKeys.loadSet().signing().publicKey().fingerprint()
                + " ("
                + hostKeys.location()
                + ")");
      } catch (IOException e) {
        problems.add(e.getMessage());
      }
    }
    if (!auditLog.toString().equals("-")) {
      writable(auditLog, "audit log", false, problems);
    }
    writable(uploads, "uploads directory", true, problems);
    if (published != null && Files.exists(published) && !Files.isReadable(published)) {
      problems.add(
          "published directory "
              + published
              + " cannot be read by "
              + userName()
              + ": fix its owner or mode");
    }
    return problems;
  }

  /**
   * A file or directory the server creates if missing: it must be writable where it is, or its
   * nearest existing parent must be.
   */
  private static void writable(Path path, String what, boolean directory, List<String> problems) {
    Path existing = path.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      problems.add(what + " " + path + ": no part of the path exists");
      return;
    }
    if (!existing.equals(path.toAbsolutePath()) && !Files.isDirectory(existing)) {
      problems.add(what + " " + path + ": " + existing + " is a file, not a directory");
      return;
    }
    if (existing.equals(path.toAbsolutePath()) && directory != Files.isDirectory(existing)) {
      problems.add(what + " " + path + " is " + (directory ? "not a directory" : "a directory"));
      return;
    }
    if (existing.equals(path.toAbsolutePath())
        && directory
        && !(Files.isReadable(existing) && Files.isExecutable(existing))) {
      problems.add(what + " " + path + " cannot be listed by " + userName() + ": fix its mode");
      return;
    }
    if (existing.equals(path.toAbsolutePath())
        && !directory
        && existing.getParent() != null
        && !Files.isWritable(existing.getParent())) {
      // The log is rotated by renaming it beside itself.
      problems.add(
          what
              + " "
              + path
              + ": its directory "
              + existing.getParent()
              + " is not writable by "
              + userName()
              + ", so it cannot be rotated");
      return;
    }
    if (!Files.isWritable(existing)) {
      problems.add(
          what
              + " "
              + path
              + ": "
              + existing
              + " is not writable by "
              + userName()
              + (existing.equals(path.toAbsolutePath())
                  ? ""
                  : " (the server creates what is below it)"));
    }
  }

  private static String userName() {
    return System.getProperty("user.name");
  }

  /**
   * Every setting of {@code serve} with the value a start would use (from the command line, an
   * {@code AUTHGATE_*} variable, the configuration file or the built-in default), as a properties
   * file that {@code --config} reads back; settings without a value are shown commented out.
   */
  static void printEffective(CommandSpec serve, PrintWriter out) {
    Map<String, String> values = new TreeMap<>();
    for (OptionSpec option : serve.options()) {
      String name = option.longestName().replaceFirst("^--", "");
      if (NOT_SETTINGS.contains(name) || !option.longestName().startsWith("--")) {
        continue;
      }
      values.put(name, text(serve, option));
    }
    values.forEach(
        (name, value) ->
            out.println(value == null ? "# " + name + "=" : name + "=" + shown(name, value)));
  }

  /**
   * {@code value} with the user and password of a URL in it (a {@code --redis} or hook URL may
   * carry them) replaced by {@code ***}: an effective configuration is pasted into tickets.
   */
  static String withoutSecrets(String value) {
    return value.replaceAll("([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\\s]*@", "$1***@");
  }

  /**
   * A setting's value as {@code --print-config} shows it: a webhook URL only to its host (a token
   * can only travel in its path or query), a hook program without its arguments, and no URL's user
   * and password.
   */
  static String shown(String name, String value) {
    return switch (name) {
      case "on-upload-url" -> {
        java.util.regex.Matcher url =
            java.util.regex.Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)(.*)")
                .matcher(value);
        yield url.matches() && !url.group(2).isEmpty()
            ? withoutSecrets(url.group(1)) + "/***"
            : withoutSecrets(value);
      }
      case "on-upload" -> {
        String[] words = value.strip().split("\\s+", 2);
        yield words.length > 1 ? words[0] + " ***" : value;
      }
      default -> withoutSecrets(value);
    };
  }

  private static String text(CommandSpec serve, OptionSpec option) {
    List<String> given = option.originalStringValues();
    if (!given.isEmpty()) {
      return String.join(",", given);
    }
    String provided = null;
    if (serve.defaultValueProvider() != null) {
      try {
        provided = serve.defaultValueProvider().defaultValue(option);
      } catch (Exception e) {
        provided = null;
      }
    }
    if (provided != null) {
      return provided;
    }
    if (option.defaultValue() != null) {
      return option.defaultValue();
    }
    boolean flag = option.type() == boolean.class || option.type() == Boolean.class;
    return flag ? String.valueOf(Boolean.TRUE.equals(option.getValue())) : null;
  }
}
