package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.TokenFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List tokens: id, state, uses, expiry and what they enroll (never a secret).")
final class TokenListCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "One JSON array on stdout instead of a table.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    java.time.Instant now = java.time.Instant.now();
    java.util.List<String[]> rows = new java.util.ArrayList<>();
    for (TokenFile t : keystore.open().enrollmentTokens().list()) {
      String unusable = t.unusableReason(now);
      rows.add(
          new String[] {
            t.tokenId(),
            unusable == null ? "usable" : unusable.substring("token-".length()),
            t.used() + "/" + t.uses(),
            String.valueOf(t.expires()),
            t.clientId() != null ? t.clientId() : t.prefix() != null ? t.prefix() + "*" : "any",
            String.valueOf(t.approve())
          });
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      com.fasterxml.jackson.databind.ObjectMapper mapper =
          new com.fasterxml.jackson.databind.ObjectMapper();
      com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
      for (String[] r : rows) {
        array
            .addObject()
            .put("token_id", r[0])
            .put("state", r[1])
            .put("used", r[2])
            .put("expires", r[3])
            .put("enrolls", r[4])
            .put("approve", Boolean.parseBoolean(r[5]));
      }
      out.println(mapper.writeValueAsString(array));
    } else {
      ListCommand.printTable(
          out, new String[] {"TOKEN", "STATE", "USED", "EXPIRES", "ENROLLS", "APPROVE"}, rows);
    }
    out.flush();
    return 0;
  }
}
