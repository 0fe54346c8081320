package dev.authgate.server.connection;

import dev.authgate.protocol.keyfile.Permissions.SessionKind;
import java.io.IOException;

/** The client asked for a kind of session its keystore entry does not allow. */
final class NotPermitted extends IOException {
  private static final long serialVersionUID = 1L;

  NotPermitted(SessionKind kind) {
    super(kind.label() + " sessions are not permitted for this client");
  }

  NotPermitted(String why) {
    super(why);
  }
}
