package dev.authgate.server.cli;

import dev.authgate.server.admin.AdminTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code serve --admin [ADDR:]PORT}: where the admin API and console listen, if anywhere, and
 * {@code --admin-tls}: the certificate that makes them HTTPS (required off loopback).
 */
final class AdminOption {
  @Option(
      names = "--admin",
      paramLabel = "[ADDR:]PORT",
      description =
          "Serve the admin API at http://ADDR:PORT/api/ and the console at http://ADDR:PORT/ (off"
              + " unless given; a bare PORT is 127.0.0.1:PORT), reached with tokens from"
              + " 'auth-server admin token create'. An address other than loopback needs"
              + " --admin-tls.")
  String admin;

  @Option(
      names = "--admin-tls",
      paramLabel = "FILE",
      description =
          "Serve the admin API over HTTPS with this certificate and key: a PKCS#12 file, or a PEM"
              + " file with the certificate chain and an unencrypted PKCS#8 key (mode 0600).")
  Path tls;

  @Option(
      names = "--admin-tls-password-file",
      paramLabel = "FILE",
      description = "The PKCS#12 file's password, on the first line of FILE (mode 0600).")
  Path tlsPassword;

  /**
   * Where to serve the admin API, or null when off; a malformed one, or one off loopback without
   * TLS, is refused.
   */
  InetSocketAddress address(CommandLine commandLine) {
    if (admin == null) {
      if (tls != null || tlsPassword != null) {
        throw new ParameterException(commandLine, "--admin-tls needs --admin");
      }
      return null;
    }
    InetSocketAddress address =
        MetricsOption.parse(commandLine, "--admin", admin, "127.0.0.1:9351", "127.0.0.1");
    if (!address.getAddress().isLoopbackAddress() && tls == null) {
      throw new ParameterException(
          commandLine,
          "--admin '"
              + admin
              + "' is not a loopback address: serving admin tokens and the console's cookie"
              + " off this host needs HTTPS (--admin-tls FILE); or bind 127.0.0.1 and use an SSH"
              + " tunnel");
    }
    if (tlsPassword != null && tls == null) {
      throw new ParameterException(commandLine, "--admin-tls-password-file needs --admin-tls");
    }
    return address;
  }

  /** The certificate and key, loaded and checked, or null for plain HTTP. */
  AdminTls tls() throws IOException {
    return tls == null ? null : AdminTls.load(tls, tlsPassword);
  }
}
