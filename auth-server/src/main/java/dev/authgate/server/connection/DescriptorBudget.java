package dev.authgate.server.connection;

import java.lang.management.ManagementFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns at start-up when the process's descriptor limit cannot hold the sessions and handshakes the
 * server is configured to allow: each takes a descriptor, and the JVM needs some of its own (jars,
 * the audit log, the listener). Running short is survivable — the accept loop backs off and retries
 * — but the operator should hear about it before it happens.
 */
final class DescriptorBudget {
  private static final Logger LOG = LoggerFactory.getLogger(DescriptorBudget.class);

  /** Descriptors the JVM and the server use besides connections. */
  static final int RESERVE = 128;

  private DescriptorBudget() {}

  static void warnIfShort(int maxSessions, int maxStartups) {
    if (!(ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix)) {
      return;
    }
    long limit = unix.getMaxFileDescriptorCount();
    long needed = (long) maxSessions + maxStartups + RESERVE;
    if (limit < needed) {
      LOG.warn(
          "the descriptor limit is {} but --max-sessions {} plus --max-startups {} plus {} for"
              + " the JVM need {}: raise it (ulimit -n, or LimitNOFILE= in the systemd unit) or"
              + " lower --max-sessions",
          limit,
          maxSessions,
          maxStartups,
          RESERVE,
          needed);
    }
  }
}
