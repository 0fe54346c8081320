package dev.authgate.server.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Every {@code await()} without its own {@code atMost} waits up to a minute, not Awaitility's 10 s:
 * a condition that holds soon on an idle machine may take seconds beside a parallel build, and a
 * wait that is too short fails a correct product. (A wait returns as soon as its condition holds,
 * so this costs nothing when all is well.) Registered for every test class by JUnit's extension
 * autodetection (META-INF/services).
 */
public final class PatientAwaitility implements BeforeAllCallback {
  /** The default wait. */
  public static final Duration WAIT = Duration.ofSeconds(60);

  @Override
  public void beforeAll(ExtensionContext context) {
    Awaitility.setDefaultTimeout(WAIT);
  }
}
