package dev.authgate.client.connect;

import java.io.IOException;

/**
 * Where the long-running features (the reconnecting chat, the watched folder) get their verified
 * connections from. {@code AuthgateClient} is the one implementation; the features take this
 * interface, so they sit below the facade and never import it.
 */
public interface ConnectionSource {
  /**
   * One verified connection; close it when done.
   *
   * @throws IOException if the connection could not be made or the server refused this client
   */
  VerifiedConnection connect() throws IOException;

  /** Connects with retries, for long-running users. */
  Reconnector reconnector();

  /** How long to wait between failed connections. */
  Backoff backoff();

  /** The client id this source connects as. */
  String clientId();
}
