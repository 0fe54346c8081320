package dev.authgate.server.rotation;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.session.RotateKey;
import dev.authgate.protocol.session.RotateResult;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.keystore.SelfRotations;
import dev.authgate.server.session.VerifiedSession;
import java.io.IOException;
import java.util.Optional;

/**
 * The rotation side of one verified session whose WELCOME asked the client to rotate: at most one
 * ROTATE_KEY, answered with one ROTATE_RESULT and audited either way. A ROTATE_KEY the server did
 * not ask for, or a second one, is a protocol error (a verified client cannot mint keys at will).
 *
 * <p>Not thread-safe: driven by the connection's thread.
 */
public final class RotationSession {
  private final VerifiedSession session;
  private final String keyId;
  private final Optional<LiveKeystore> keystore;
  private boolean asked;

  /**
   * @param session the verified session
   * @param keyId the key it logged in with
   * @param asked whether its WELCOME asked it to rotate
   * @param keystore the keystore it rotates in; empty when this server's keys are not a keystore
   *     directory
   */
  public RotationSession(
      VerifiedSession session, String keyId, boolean asked, Optional<LiveKeystore> keystore) {
    this.session = session;
    this.keyId = keyId;
    this.asked = asked;
    this.keystore = keystore;
  }

  /** Stores the client's new verifiers (once, when asked) and answers. */
  public void rotate(RotateKey request) throws IOException {
    if (!asked) {
      throw new ProtocolException(
          Reason.MALFORMED, "ROTATE_KEY in a session whose WELCOME did not ask for it, or twice");
    }
    asked = false;
    Optional<KeystoreDirectory> directory = keystore.flatMap(LiveKeystore::enrollments);
    RotateResult result;
    try {
      if (directory.isEmpty()) {
        throw new SelfRotations.Refused("not-rotating", "this server does not store keys");
      }
      SelfRotations.Stored stored =
          directory
              .get()
              .selfRotations()
              .store(
                  session.clientId(),
                  keyId,
                  new Verifier(request.storedKey(), request.serverKey()));
      keystore.get().changed(stored.keys()); // the new key works here at once
      Verifier verifier = new Verifier(request.storedKey(), request.serverKey());
      session.audit(
          session
              .event(AuditEventType.KEYS_SELF_ROTATED)
              .with("key_id", keyId)
              .with("new_key_id", stored.keyId())
              .with("fingerprint", verifier.fingerprint())
              .with("abandoned_key_id", stored.abandoned()));
      result =
          new RotateResult(
              true,
              stored.keyId(),
              "",
              "stored as key "
                  + stored.keyId()
                  + "; key "
                  + keyId
                  + " works until "
                  + stored.keyId()
                  + " is first used");
    } catch (SelfRotations.Refused e) {
      auditRefused(e.reason(), e.getMessage());
      result = RotateResult.refused(e.reason(), e.getMessage());
    } catch (IOException e) {
      auditRefused("storage-error", e.getMessage());
      result =
          RotateResult.refused(
              "storage-error", "the server could not store the new key; keep using this one");
    }
    session.channel().send(result);
  }

  private void auditRefused(String reason, String detail) {
    session.audit(
        session
            .event(AuditEventType.KEYS_SELF_ROTATION_REFUSED)
            .with("key_id", keyId)
            .with("reason", reason)
            .with("detail", detail));
  }
}
