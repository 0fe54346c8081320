package dev.authgate.server.enroll;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.EnrollResult;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.EnrollRefused;
import dev.authgate.server.keystore.Enrolled;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.session.VerifiedSession;
import java.io.IOException;
import java.util.Optional;

/**
 * The enrollment side of one token session: the token was proven by the handshake, the verifiers
 * arrive sealed under keys only the two ends have. Each ENROLL is answered with one ENROLL_RESULT
 * and audited either way.
 *
 * <p>Not thread-safe: driven by the connection's thread.
 */
public final class EnrollSession {
  private final VerifiedSession session;
  private final Optional<LiveKeystore> keystore;

  /**
   * Enrollment for {@code session} into {@code keystore}; empty when this server does not enroll
   * (its keys are not a keystore directory).
   */
  public EnrollSession(VerifiedSession session, Optional<LiveKeystore> keystore) {
    this.session = session;
    this.keystore = keystore;
  }

  /** Enrolls the machine {@code request} describes and answers with the result. */
  public void enroll(Enroll request) throws IOException {
    String tokenId = EnrollmentToken.tokenIdOf(session.clientId());
    Optional<KeystoreDirectory> directory = keystore.flatMap(LiveKeystore::enrollments);
    EnrollResult result;
    try {
      if (directory.isEmpty()) {
        throw new EnrollRefused("not-enrolling", "this server does not enroll machines");
      }
      Enrolled enrolled =
          directory
              .get()
              .enrollmentTokens()
              .enroll(
                  tokenId,
                  request.clientId(),
                  new Verifier(request.storedKey(), request.serverKey()));
      keystore.get().enrolled(enrolled.keys()); // verifiable here at once: enroll && ping
      session.audit(
          session
              .connectionEvent(AuditEventType.ENROLL_ACCEPTED)
              .with("token_id", tokenId)
              .with("client_id", enrolled.clientId())
              .with("key_id", enrolled.keyId())
              .with("fingerprint", enrolled.fingerprint())
              .with("pending", enrolled.pending()));
      result = accepted(enrolled);
    } catch (EnrollRefused e) {
      auditRefused(tokenId, request.clientId(), e.reason(), e.getMessage());
      result = EnrollResult.refused(e.reason(), e.getMessage());
    } catch (IOException e) {
      auditRefused(tokenId, request.clientId(), "storage-error", e.getMessage());
      result = EnrollResult.refused("storage-error", "the server could not store the enrollment");
    }
    session.channel().send(result);
  }

  private static EnrollResult accepted(Enrolled enrolled) {
    return new EnrollResult(
        enrolled.pending() ? EnrollResult.Status.PENDING : EnrollResult.Status.ENROLLED,
        enrolled.clientId(),
        enrolled.keyId(),
        "",
        enrolled.pending()
            ? "enrolled as "
                + enrolled.clientId()
                + ", waiting for an operator to run: auth-server keys approve "
                + enrolled.clientId()
            : "enrolled as " + enrolled.clientId());
  }

  private void auditRefused(String tokenId, String requestedId, String reason, String detail) {
    session.audit(
        session
            .connectionEvent(AuditEventType.ENROLL_REJECTED)
            .with("token_id", tokenId)
            .with("client_id", requestedId.isEmpty() ? null : requestedId)
            .with("reason", reason)
            .with("detail", detail));
  }
}
