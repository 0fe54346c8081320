package dev.authgate.server.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code serve --help} in sections (where it listens, keys and audit, sessions, files, defences,
 * chat and datagrams, cluster, running it), instead of one alphabetical list of 60 options: an
 * operator looking for the penalties finds them together. The man page lists them as picocli
 * generates it.
 */
final class ServeHelp {
  /** A section of the help: its heading and the options in it, in the order shown. */
  enum Section {
    LISTENING(
        "Listening",
        "--bind",
        "--port",
        "--server-id",
        "--udp-port",
        "--proxy-protocol",
        "--trusted-proxies"),
    KEYS_AND_AUDIT(
        "Keys and audit",
        "--keys",
        "--audit-log",
        "--audit-max-size",
        "--audit-max-files",
        "--audit-daily",
        "--audit-compress",
        "--audit-syslog",
        "--audit-syslog-queue",
        "--rotate-every",
        "--rotate-deadline"),
    SESSIONS(
        "Sessions",
        "--handshake-timeout",
        "--idle-timeout",
        "--write-timeout",
        "--max-sessions",
        "--max-sessions-per-client",
        "--shutdown-grace"),
    FILES(
        "Files",
        "--uploads",
        "--max-file-size",
        "--quota",
        "--partial-keep",
        "--published",
        "--on-upload",
        "--on-upload-url",
        "--on-upload-url-attempts",
        "--hook-timeout",
        "--hook-concurrency",
        "--hook-queue"),
    DEFENCES(
        "Defences",
        "--max-startups",
        "--per-source-max-startups",
        "--penalty-authfail",
        "--penalty-timeout",
        "--penalty-malformed",
        "--penalty-threshold",
        "--penalty-max",
        "--penalty-sources",
        "--penalty-ipv6-prefix",
        "--exempt"),
    CHAT_AND_DATAGRAMS(
        "Chat and datagrams",
        "--chat-history",
        "--chat-queue",
        "--max-datagram-channels",
        "--datagram-rate"),
    CLUSTER("Cluster", "--redis", "--redis-password-file"),
    RUNNING_IT(
        "Running it",
        "--config",
        "--check",
        "--print-config",
        "--metrics",
        "--admin",
        "--admin-tls",
        "--admin-tls-password-file",
        "--log-format",
        "--verbose",
        "--help",
        "--version");

    final String heading;
    final List<String> options;

    Section(String heading, String... options) {
      this.heading = heading;
      this.options = List.of(options);
    }
  }

  /** Each section's heading and the options in it, in the order shown. */
  static final Map<String, List<String>> SECTIONS = sections();

  private ServeHelp() {}

  private static Map<String, List<String>> sections() {
    Map<String, List<String>> sections = new LinkedHashMap<>();
    for (Section section : Section.values()) {
      sections.put(section.heading, section.options);
    }
    return sections;
  }

  /** Makes {@code serve}'s help list its options in {@link #SECTIONS}. */
  static void install(CommandLine serve) {
    serve
        .getHelpSectionMap()
        .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, ServeHelp::render);
  }

  private static String render(Help help) {
    Map<String, OptionSpec> byName = new LinkedHashMap<>();
    for (OptionSpec option : help.commandSpec().options()) {
      if (!option.hidden()) {
        byName.put(option.longestName(), option);
      }
    }
    StringBuilder text = new StringBuilder();
    for (Map.Entry<String, List<String>> section : SECTIONS.entrySet()) {
      List<OptionSpec> options = new ArrayList<>();
      for (String name : section.getValue()) {
        OptionSpec option = byName.remove(name);
        if (option != null) {
          options.add(option);
        }
      }
      text.append(block(help, section.getKey(), options));
    }
    // Anything not placed yet still shows, so a new option is never missing from help.
    text.append(block(help, "Other", new ArrayList<>(byName.values())));
    return text.toString();
  }

  private static String block(Help help, String heading, List<OptionSpec> options) {
    if (options.isEmpty()) {
      return "";
    }
    Help.Layout layout = help.createDefaultLayout();
    Help.IParamLabelRenderer labels = help.createDefaultParamLabelRenderer();
    for (OptionSpec option : options) {
      layout.addOption(option, labels);
    }
    return String.format("%n%s:%n", heading) + layout;
  }
}
