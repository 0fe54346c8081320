package dev.authgate.client.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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
  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;
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

  @Test
  void aPortThatWaitsForItsClientToSpeakIsSentAuthsHeaderAndNamedByItsAnswer() throws Exception {
    // A service that speaks only when spoken to (here as nginx does: a bad request line is a 400).
    byte[] heard = new byte[5];
    ServerAddress http =
        serving(
            socket -> {
              try {
                socket.getInputStream().readNBytes(heard, 0, 5);
                writing("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII))
                    .accept(socket);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });

    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () ->
            assertThatThrownBy(() -> connector(Duration.ofMinutes(5)).connect(http))
                .isInstanceOf(ProtocolException.class)
                .hasMessage(
                    http
                        + " is not an authgate server: it sent \"HTTP/1.1 400 Bad Request\" where"
                        + " HELLO belongs"));
    assertThat(heard).as("AUTH's constant header, nothing more").isEqualTo(Greeting.AUTH_HEADER);
  }

  @Test
  void aPortThatClosesWhenSpokenToIsNamedAtOnce() throws IOException {
    // A TLS server reads a 5-byte record header, finds no record type it knows, and hangs up.
    ServerAddress tls =
        serving(
            socket -> {
              try {
                socket.getInputStream().readNBytes(5);
                socket.close();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });

    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () ->
            assertThatThrownBy(() -> connector(Duration.ofMinutes(5)).connect(tls))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(tls.toString())
                .hasMessageContaining("another service's port"));
  }

  @Test
  void aHeaderThatArrivesInPiecesHasTheWholeTimeout_notTheProbesHalfSecond() throws Exception {
    // A refusal whose first byte comes at once and the rest 0.8 s later (a slow relay).
    ServerAddress slow =
        serving(
            socket -> {
              try {
                socket.getOutputStream().write(0x04);
                socket.getOutputStream().flush();
                Thread.sleep(800);
                socket.getOutputStream().write(new byte[] {0, 0, 0, 1, 0x05});
                socket.getOutputStream().flush();
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    try (Socket socket = new Socket(slow.host(), slow.port())) {
      socket.setSoTimeout(30_000);
      Greeting.Greeted greeted =
          Greeting.read(
              new java.io.BufferedInputStream(socket.getInputStream()),
              socket,
              socket.getOutputStream(),
              slow,
              Duration.ofSeconds(30));

      assertThat(greeted.frame().payload()).containsExactly(0x05);
      assertThat(greeted.authHeaderSent()).isFalse();
    }
  }

  @Test
  void aPortThatResetsWhenSpokenToIsNamedAtOnce() throws IOException {
    ServerAddress resetting =
        serving(
            socket -> {
              try {
                socket.getInputStream().read();
                socket.setSoLinger(true, 0);
                socket.close();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });

    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () ->
            assertThatThrownBy(() -> connector(Duration.ofMinutes(5)).connect(resetting))
                .isInstanceOf(EOFException.class)
                .hasMessage(
                    resetting
                        + " reset the connection without sending HELLO (is this another service's"
                        + " port?)"));
  }

  @Test
  void anAuthgateServerSlowToGreetTakesTheEarlyHeaderAsTheStartOfAuth() throws Exception {
    try (var server = dev.authgate.server.testing.TestServer.start(dir);
        SlowGreeting slow = new SlowGreeting(server.port(), Duration.ofMillis(1500))) {
      Credential credential = server.provision("sensor-1");

      try (VerifiedConnection connection =
          new Connector(
                  credential.identity(),
                  HostKeyTrust.of(credential),
                  Duration.ofSeconds(30),
                  RandomSource.secure())
              .connect(new ServerAddress("127.0.0.1", slow.port()))) {
        assertThat(connection.ping()).isNotNull();
      }
      assertThat(slow.clientSpokeBeforeHello)
          .as("the header went out while HELLO was held")
          .isTrue();
      assertThat(server.events("auth.accepted")).hasSize(1);
    }
  }

  /** A proxy that holds the server's first bytes (its HELLO) back for {@code delay}. */
  static final class SlowGreeting implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    volatile boolean clientSpokeBeforeHello;
    private volatile boolean helloForwarded;

    SlowGreeting(int target, Duration delay) throws IOException {
      Thread.ofVirtual()
          .start(
              () -> {
                try (Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target)) {
                  Thread up =
                      Thread.ofVirtual()
                          .start(
                              () -> {
                                try {
                                  byte[] buffer = new byte[4096];
                                  for (int n; (n = client.getInputStream().read(buffer)) > 0; ) {
                                    if (!helloForwarded) {
                                      clientSpokeBeforeHello = true;
                                    }
                                    server.getOutputStream().write(buffer, 0, n);
                                  }
                                } catch (IOException ignored) {
                                  // Closed.
                                }
                              });
                  byte[] buffer = new byte[4096];
                  int n = server.getInputStream().read(buffer);
                  Thread.sleep(delay);
                  helloForwarded = true;
                  while (n > 0) {
                    client.getOutputStream().write(buffer, 0, n);
                    n = server.getInputStream().read(buffer);
                  }
                  up.join();
                } catch (IOException | InterruptedException ignored) {
                  // Closed.
                }
              });
    }

    int port() {
      return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }
}
