package dev.authgate.server.cli;

import dev.authgate.server.audit.SyslogForwarder;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code serve}'s audit forwarding to a syslog receiver. */
final class SyslogOptions {
  @Option(
      names = "--audit-syslog",
      paramLabel = "URL",
      description =
          "Also send every audit event to this syslog receiver, udp://HOST:PORT or"
              + " tcp://HOST:PORT (RFC 5424, facility auth, the fields as structured data). A slow"
              + " or dead receiver never blocks connections: events wait in a bounded queue and the"
              + " overflow is dropped, counted and audited.")
  String auditSyslog;

  @Option(
      names = "--audit-syslog-queue",
      paramLabel = "N",
      defaultValue = "10000",
      description =
          "Audit events that may wait for the syslog receiver (default: ${DEFAULT-VALUE}).")
  int auditSyslogQueue;

  /** {@code --audit-syslog} parsed, or null; a malformed one is a usage error. */
  SyslogForwarder.Target target(CommandLine commandLine) {
    if (auditSyslog == null) {
      return null;
    }
    SyslogForwarder.Target target;
    try {
      target = SyslogForwarder.Target.parse(auditSyslog);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(commandLine, e.getMessage());
    }
    if (auditSyslogQueue < 1) {
      throw new CommandLine.ParameterException(
          commandLine, "--audit-syslog-queue must be at least 1");
    }
    return target;
  }
}
