package dev.authgate.server.cli.keyscommand;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List admin tokens: id, name, scope, state and expiry (never a secret).")
final class AdminTokenListCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "One JSON array on stdout instead of a table.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Instant now = Instant.now();
    List<AdminTokenFile> tokens = keystore.open().adminTokens().list();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      ArrayNode array = mapper.createArrayNode();
      for (AdminTokenFile t : tokens) {
        array
            .addObject()
            .put("token_id", t.tokenId())
            .put("name", t.name())
            .put("scope", t.scope().label())
            .put("state", t.stateAt(now))
            .put("created", t.created().toString())
            .put("expires", t.expires().toString());
      }
      out.println(mapper.writeValueAsString(array));
    } else {
      List<String[]> rows = new ArrayList<>();
      for (AdminTokenFile t : tokens) {
        rows.add(
            new String[] {
              t.tokenId(), t.name(), t.scope().label(), t.stateAt(now), String.valueOf(t.expires())
            });
      }
      ListCommand.printTable(
          out, new String[] {"TOKEN", "NAME", "SCOPE", "STATE", "EXPIRES"}, rows);
    }
    out.flush();
    return 0;
  }
}
