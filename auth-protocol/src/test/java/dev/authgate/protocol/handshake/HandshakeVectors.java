package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The worked example of docs/PROTOCOL.md: fixed secret, challenge, nonce and ephemeral keys, and
 * every value derived from them, computed by the real state machines. {@link #main} prints the
 * table for the document; {@code HandshakeVectorsTest} pins the values.
 */
public final class HandshakeVectors {
  static final HexFormat HEX = HexFormat.of();

  private HandshakeVectors() {}

  static byte[] sequence(int first, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = (byte) (first + i);
    }
    return out;
  }

  /** Every input and derived value, in document order, as lower-case hex (or text for ids). */
  static Map<String, String> compute() throws IOException {
    Map<String, String> v = new LinkedHashMap<>();
    byte[] secret = sequence(0x00, 32);
    byte[] challenge = sequence(0x20, 32);
    byte[] clientNonce = sequence(0x40, 32);
    byte[] serverPrivate =
        HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    byte[] clientPrivate =
        HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    v.put("secret S", HEX.formatHex(secret));
    v.put("client id", "sensor-1");
    v.put("key id", "k1");
    v.put("server id", "authgate-demo");
    v.put("challenge", HEX.formatHex(challenge));
    v.put("client nonce", HEX.formatHex(clientNonce));
    v.put("server ephemeral private", HEX.formatHex(serverPrivate));
    v.put("client ephemeral private", HEX.formatHex(clientPrivate));
    byte[] hostSeed = sequence(0x60, 32);
    HostKey host = HostKey.fromSeed(hostSeed);
    v.put("host key private (Ed25519 seed)", HEX.formatHex(hostSeed));
    v.put("host key public", HEX.formatHex(host.publicKey().bytes()));
    v.put("host key fingerprint", host.publicKey().fingerprint());

    ScramKeys keys = ScramKeys.fromSaltedPassword(secret);
    v.put("ClientKey", HEX.formatHex(keys.clientKey()));
    v.put("StoredKey", HEX.formatHex(keys.verifier().storedKey()));
    v.put("ServerKey", HEX.formatHex(keys.verifier().serverKey()));
    v.put("fingerprint", keys.verifier().fingerprint());

    InMemoryKeys keystore = new InMemoryKeys().put("sensor-1", "k1", keys.verifier());
    ServerHandshake server =
        new ServerHandshake(
            keystore,
            "authgate-demo",
            HostKeySet.of(host),
            new ScriptedRandom(List.of(new byte[32], new byte[32], challenge, serverPrivate)));
    ClientHandshake client =
        new ClientHandshake(
            new ClientIdentity("sensor-1", "k1", keys),
            HostKeyCheck.pinned(List.of(host.publicKey().fingerprint())),
            new ScriptedRandom(List.of(clientNonce, clientPrivate)));

    byte[] hello = server.hello();
    v.put("HELLO frame", HEX.formatHex(hello));
    byte[] auth = client.onHello(read(hello));
    Auth decodedAuth = (Auth) HandshakeMessage.decode(read(auth));
    Hello decodedHello = (Hello) HandshakeMessage.decode(read(hello));
    byte[] shared = X25519KeyPair.fromPrivateKey(clientPrivate).agree(decodedHello.serverPublic());
    KeySchedule schedule = new KeySchedule(decodedHello.encode(), decodedAuth.clearPart(), shared);
    byte[] t = schedule.authMessage("sensor-1", "k1");
    v.put("server ephemeral public", HEX.formatHex(decodedHello.serverPublic()));
    v.put(
        "HELLO signed message",
        HEX.formatHex(
            Hello.signedMessage(
                decodedHello.version(),
                decodedHello.challenge(),
                decodedHello.serverPublic(),
                decodedHello.hostPublic())));
    v.put("HELLO host signature", HEX.formatHex(decodedHello.hostSignature()));
    v.put("client ephemeral public", HEX.formatHex(decodedAuth.clientPublic()));
    v.put("X25519 shared secret", HEX.formatHex(shared));
    v.put("H0", HEX.formatHex(schedule.h0()));
    v.put("hs c2s key", HEX.formatHex(schedule.handshakeClientToServer().key()));
    v.put("hs c2s iv", HEX.formatHex(schedule.handshakeClientToServer().iv()));
    v.put("hs s2c key", HEX.formatHex(schedule.handshakeServerToClient().key()));
    v.put("hs s2c iv", HEX.formatHex(schedule.handshakeServerToClient().iv()));
    v.put("T (AuthMessage)", HEX.formatHex(t));
    v.put("ClientSignature", HEX.formatHex(keys.verifier().clientSignature(t)));
    v.put("ClientProof", HEX.formatHex(keys.clientProof(t)));
    v.put(
        "identity plaintext",
        HEX.formatHex(new Identity("sensor-1", "k1", keys.clientProof(t)).encode()));
    v.put("AUTH frame", HEX.formatHex(auth));
    v.put("ServerSignature", HEX.formatHex(keys.verifier().serverSignature(t)));

    ServerHandshake.Accepted accepted = server.onAuth(read(auth));
    v.put("WELCOME frame", HEX.formatHex(accepted.welcomeFrame()));
    ClientHandshake.Established established = client.onWelcome(read(accepted.welcomeFrame()));
    SessionKeys session = established.keys();
    v.put("session c2s key", HEX.formatHex(session.clientToServer().key()));
    v.put("session c2s iv", HEX.formatHex(session.clientToServer().iv()));
    v.put("session s2c key", HEX.formatHex(session.serverToClient().key()));
    v.put("session s2c iv", HEX.formatHex(session.serverToClient().iv()));
    if (!java.util.Arrays.equals(session.datagramSecret(), accepted.keys().datagramSecret())) {
      throw new AssertionError("client and server derived different datagram secrets");
    }
    v.put("datagram secret (dg_secret)", HEX.formatHex(session.datagramSecret()));

    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    SecureChannel.client(new ByteArrayInputStream(new byte[0]), wire, session)
        .send(new SessionMessage.Ping(1));
    v.put("first sealed frame (client PING token 1)", HEX.formatHex(wire.toByteArray()));
    return v;
  }

  private static Frame read(byte[] wire) throws IOException {
    return FrameCodec.read(new ByteArrayInputStream(wire), FrameCodec.PRE_AUTH_MAX_PAYLOAD);
  }

  /** Prints the vectors as the Markdown table of docs/PROTOCOL.md. */
  public static void main(String[] args) throws IOException {
    System.out.println("| value | hex |\n|---|---|");
    compute().forEach((name, value) -> System.out.println("| " + name + " | `" + value + "` |"));
  }
}
