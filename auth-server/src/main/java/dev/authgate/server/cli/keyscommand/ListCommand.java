package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.text.Sizes;
import dev.authgate.server.admin.ClientJson;
import dev.authgate.server.keystore.KeyStates;
import dev.authgate.server.keystore.KeystoreSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description =
        "List clients, key ids, state, creation time, limits and fingerprint (never a secret);"
            + " --long for whole values.")
final class ListCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "One JSON array of keys on stdout instead of a table.")
  boolean json;

  @Option(
      names = {"-l", "--long"},
      description =
          "Whole timestamps, whole fingerprints and every limit, however wide the table gets"
              + " (the default table fits 100 columns for ids up to 26 characters).")
  boolean wide;

  /** Base64 characters of a fingerprint's hash the short table shows: 72 bits, no grinding. */
  static final int SHORT_FINGERPRINT = 12;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    KeystoreSnapshot snapshot = keystore.open().load();
    java.time.Instant now = java.time.Instant.now();
    java.util.List<String[]> rows = new java.util.ArrayList<>();
    java.util.List<Permissions> access = new java.util.ArrayList<>();
    snapshot.clients().values().stream()
        .sorted(Comparator.comparing(ClientKeys::clientId))
        .forEach(
            client -> {
              for (KeyEntry key : client.keys()) {
                access.add(client.permissions());
                rows.add(
                    new String[] {
                      client.clientId(),
                      key.keyId(),
                      KeyStates.state(client, key, now),
                      String.valueOf(key.created()),
                      java.util.Objects.toString(KeyStates.until(client, key), "-"),
                      access(client.permissions()),
                      key.verifier().fingerprint()
                    });
                if (!json && !wide) {
                  shorten(rows.get(rows.size() - 1));
                }
              }
            });
    if (json) {
      printJson(stdout, rows, access);
    } else {
      printTable(
          stdout,
          new String[] {"CLIENT", "KEY", "STATE", "CREATED", "UNTIL", "ACCESS", "FINGERPRINT"},
          rows);
    }
    stdout.flush();
    for (KeystoreSnapshot.Skipped skipped : snapshot.skipped()) {
      spec.commandLine().getErr().println("auth-server: skipped " + skipped.problem());
    }
    return 0;
  }

  /**
   * A row as the default table shows it: the day a key was made, its end to the minute, {@code all}
   * or {@code limited} (which limits: {@code --long}), and the first {@link #SHORT_FINGERPRINT}
   * characters of its fingerprint (compare those with what the machine printed; {@code keys
   * approve} and {@code --long} show all of it), so a table fits 100 columns.
   */
  private static void shorten(String[] row) {
    row[3] = row[3].substring(0, Math.min(10, row[3].length()));
    if (!row[4].equals("-")) {
      row[4] = row[4].replace('T', ' ').substring(0, Math.min(16, row[4].length()));
    }
    if (!row[5].equals("all")) {
      row[5] = "limited";
    }
    int cut = "SHA256:".length() + SHORT_FINGERPRINT;
    row[6] = row[6].substring(0, Math.min(cut, row[6].length()));
  }

  /**
   * What a client may do, for the table: {@code all}, or its limits with sizes a person reads
   * ({@code sessions=chat,upload rooms=ops max-file=50MiB quota=2GiB}); {@code --json} has bytes.
   */
  static String access(Permissions p) {
    if (p.unrestricted()) {
      return "all";
    }
    return java.util.Arrays.stream(p.describe().split(" "))
        .map(
            part -> {
              int eq = part.indexOf('=');
              String key = part.substring(0, eq);
              return key.equals("max-file") || key.equals("quota")
                  ? key + "=" + Sizes.human(Long.parseLong(part.substring(eq + 1))).replace(" ", "")
                  : part;
            })
        .collect(java.util.stream.Collectors.joining(" "));
  }

  private static void printJson(
      PrintWriter out, java.util.List<String[]> rows, java.util.List<Permissions> access)
      throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      com.fasterxml.jackson.databind.node.ObjectNode key = array.addObject();
      key.put("client_id", row[0]);
      key.put("key_id", row[1]);
      key.put("state", row[2]);
      key.put("created", row[3]);
      if (row[4].equals("-")) {
        key.putNull("until");
      } else {
        key.put("until", row[4]);
      }
      // What the client may do: null for "what the server allows" (no limit of its own).
      ClientJson.access(key.putObject("access"), access.get(i));
      key.put("fingerprint", row[6]);
    }
    out.println(mapper.writeValueAsString(array));
  }

  /** Columns as wide as their widest cell, so long ids never shift the others. */
  static void printTable(PrintWriter out, String[] header, java.util.List<String[]> rows) {
    int[] widths = new int[header.length];
    for (String[] row :
        java.util.stream.Stream.concat(java.util.stream.Stream.<String[]>of(header), rows.stream())
            .toList()) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row :
        java.util.stream.Stream.concat(java.util.stream.Stream.<String[]>of(header), rows.stream())
            .toList()) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
