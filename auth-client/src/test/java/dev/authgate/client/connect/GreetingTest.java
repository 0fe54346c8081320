package dev.authgate.client.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A port that is not an authgate server is named as such, quoting what it said. */
class GreetingTest {
  private final CountDownLatch done = new CountDownLatch(1);
  private ServerSocket listener;

  @AfterEach
  void stop() throws IOException {
    done.countDown();
    if (listener != null) {
      listener.close();
    }
  }

  /** A one-connection server that does {@code greet} with its socket, then holds it open. */
  private ServerAddress serving(Consumer<Socket> greet) throws IOException {
    listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(
            () -> {
              try (Socket socket = listener.accept()) {
                greet.accept(socket);
                done.await();
              } catch (IOException | InterruptedException ignored) {
                // The test is over.
              }
            });
    return new ServerAddress("127.0.0.1", listener.getLocalPort());
  }

  private static Consumer<Socket> writing(byte[] bytes) {
    return socket -> {
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  private static Connector connector(Duration timeout) {
    Credential credential =
        new Credential("sensor-1", "k1", RandomSource.secure().bytes(32), List.of());
    return new Connector(
        credential.identity(), HostKeyTrust.of(credential), timeout, RandomSource.secure());
  }

  @Test
  void anSshBannerIsNamedAtOnceAndQuoted() throws IOException {
    ServerAddress ssh =
        serving(writing("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".getBytes(StandardCharsets.US_ASCII)));

    assertThatThrownBy(() -> connector(Duration.ofMinutes(5)).connect(ssh))
        .isInstanceOf(ProtocolException.class)
        .hasMessage(
            ssh
                + " is not an authgate server: it sent \"SSH-2.0-OpenSSH_9.2p1 Debian-2\" where"
                + " HELLO belongs");
  }

  @Test
  void binaryBytesAreShownEscapedAndALongGreetingIsCut() {
    byte[] tls = {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, '"', '\\'};
    assertThat(Greeting.couldStartAGreeting(tls, 5)).isFalse();
    assertThat(Greeting.quote(tls, tls.length))
        .isEqualTo("\\x16\\x03\\x01\\x00\\xa5\\x01\\x22\\x5c");
    byte[] longLine = "x".repeat(Greeting.QUOTED + 1).getBytes(StandardCharsets.US_ASCII);
    assertThat(Greeting.quote(longLine, longLine.length))
        .isEqualTo("x".repeat(Greeting.QUOTED) + "...");
  }

  @Test
  void aHelloOrARefusalHeaderCouldStartAGreeting() {
    assertThat(Greeting.couldStartAGreeting(new byte[] {0x01, 0, 0, 0, (byte) 162}, 5)).isTrue();
    assertThat(Greeting.couldStartAGreeting(new byte[] {0x04, 0, 0, 0, 3}, 5)).isTrue();
    assertThat(Greeting.couldStartAGreeting(new byte[] {0x04, 0, 0, 1, 0}, 5)).isFalse();
    assertThat(Greeting.couldStartAGreeting(new byte[] {0x01, 0x7f, 0, 0, 0}, 5)).isFalse();
    assertThat(Greeting.couldStartAGreeting(new byte[] {0x10, 0, 0, 0, 1}, 5)).isFalse();
  }

  @Test
  void aPortThatClosesAtOnceIsNamed() throws IOException {
    ServerAddress closing = serving(socket -> done.countDown());

    assertThatThrownBy(() -> connector(Duration.ofMinutes(5)).connect(closing))
        .isInstanceOf(EOFException.class)
        .hasMessage(closing + " closed the connection without sending HELLO");
  }

  @Test
  void aSilentPortIsNamedWhenTheTimeoutPasses() throws IOException {
    // This test is about the deadline: a port that waits for its client to speak first (HTTP).
    ServerAddress silent = serving(socket -> {});

    assertThatThrownBy(() -> connector(Duration.ofSeconds(1)).connect(silent))
        .isInstanceOf(SilentServerException.class)
        .hasMessage(
            silent
                + " accepted the connection but sent nothing in 1 s: an authgate server sends"
                + " HELLO at once (is this another service's port?)");
  }
}
