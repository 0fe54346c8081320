package dev.authgate.server.cli;

import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.cli.convert.SizeConverter;
import picocli.CommandLine.Option;

/** {@code serve}'s audit log rotation options. */
final class AuditRotationOptions {

  @Option(
      names = "--audit-max-size",
      paramLabel = "SIZE",
      defaultValue = "100M",
      converter = SizeConverter.class,
      description = "Rotate the audit log before it passes this size (default: ${DEFAULT-VALUE}).")
  long auditMaxSize;

  @Option(
      names = "--audit-max-files",
      paramLabel = "N",
      defaultValue = "30",
      description = "Rotated audit files kept, oldest deleted first (default: ${DEFAULT-VALUE}).")
  int auditMaxFiles;

  @Option(
      names = "--audit-daily",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Also rotate the audit log at UTC midnight (default: ${DEFAULT-VALUE}).")
  boolean auditDaily;

  @Option(
      names = "--audit-compress",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Gzip rotated audit files (default: ${DEFAULT-VALUE}).")
  boolean auditCompress;

  AuditRotation rotation() {
    return new AuditRotation(auditMaxSize, auditMaxFiles, auditDaily, auditCompress);
  }
}
