"""docs/PROTOCOL.md section 9, byte for byte, from the client's side."""

import unittest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from authgate import protocol
from authgate.credential import Credential, CredentialError, HostKeyTrust

H = bytes.fromhex
SECRET = bytes(range(32))
CHALLENGE = bytes(range(0x20, 0x40))
NONCE = bytes(range(0x40, 0x60))
SERVER_PRIV = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
CLIENT_PRIV = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
HOST_SEED = bytes(range(0x60, 0x80))
HOST_PUBLIC = H("174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5")
HOST_FINGERPRINT = "SHA256:aIlNWPGPLDTUnrL0sRDgQs0PMVCk3DkkPX9jvVmMB4M"
HELLO_FRAME = H(
    "01000000a20002202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fde9edb7d7b"
    "7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f174553b456dddfc6908ecab1c101fe6ab2"
    "1e2baa0617795b7d43a63482993fd58fb05b894a6268c6708cf0f42bcef8e3ab0f0ddf127e33f9cd4981bb47"
    "c240290090ef7315af4958298fbb9f48ce7f805cf4bff66ff694613725711eb466ed0e"
)
AUTH_FRAME = H(
    "02000001120002404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f8520f00989"
    "30a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a637e58988a56b10afced25e8b42cbe1aa8"
    "d2d358594ec42f96890ab7ef2e8b0a91464f77e53a755721f4d65080818f11741c8b5185755d60c67cd4845d"
    "1ae2bb29839320ceb82937f05953f2e52107fa0a6be099ba3a1c838d104fd1d7700ae7b166457668952a4b0c"
    "468c0a0eebd0e3da99a5375f76d91efeab9f4721a2f9459712bfd9883769d6a502f6f73228fdba23d5b8bf6a"
    "3a82600f2ff0fd7737dd913a58f3263714cf19afce192aff5786e02bd93a7c6514052482dd5389272b67ab63"
    "7b9972dc601d783cb06ef8a0a74d69"
)
WELCOME_FRAME = H(
    "030000003f3b94a7582e05bcfa4bcb077dc14f265bed30206192db1c685cb8215dc4971321c4ff81d1e5e132"
    "bd53ceee8129cb251143f123533587b24ed854678478b5f4"
)
FIRST_SEALED = H("1000000019a39499025da3bb09dc69d3c5c83b6b3339d399bbc3fec57f0d")


class WorkedExampleTest(unittest.TestCase):
    def setUp(self):
        self.handshake = protocol.ClientHandshake(
            "sensor-1",
            "k1",
            protocol.ScramKeys.of(SECRET),
            NONCE,
            X25519PrivateKey.from_private_bytes(CLIENT_PRIV),
            HostKeyTrust([HOST_FINGERPRINT]),
        )

    def test_scram_keys(self):
        keys = protocol.ScramKeys.of(SECRET)
        self.assertEqual(keys.client_key.hex(), "2a75f4c60c0bc0ea1143a1b95f32f9c571be775a402f41f14146298c3170d02f")
        self.assertEqual(keys.stored_key.hex(), "e9cb7d524d0a37b9f58df5da526819cc1df9c66a3cffee4f4cf2502654f2a6c0")
        self.assertEqual(keys.server_key.hex(), "d1905aa193a45c4f683bbbfa07d3bd2dcb180db624f2b2db739df1b3cd72e01a")

    def test_the_hello_of_the_example_is_signed_by_the_host_key_over_label_and_first_98_bytes(self):
        server_pub = X25519PrivateKey.from_private_bytes(SERVER_PRIV).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        host = Ed25519PrivateKey.from_private_bytes(HOST_SEED)
        host_pub = host.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.assertEqual(host_pub, HOST_PUBLIC)
        self.assertEqual(protocol.host_key_fingerprint(host_pub), HOST_FINGERPRINT)
        signed = b"\x00\x02" + CHALLENGE + server_pub + host_pub
        signature = host.sign(b"authgate/2 hello" + signed)  # Ed25519 is deterministic (RFC 8032)
        self.assertEqual(protocol.frame(protocol.HELLO, signed + signature), HELLO_FRAME)

    def test_a_hello_signed_by_an_unpinned_key_is_refused_before_auth(self):
        other = protocol.ClientHandshake(
            "sensor-1", "k1", protocol.ScramKeys.of(SECRET), NONCE,
            X25519PrivateKey.from_private_bytes(CLIENT_PRIV),
            HostKeyTrust(["SHA256:" + "A" * 43]),
        )
        with self.assertRaises(protocol.HostKeyNotTrusted) as refused:
            other.on_hello(protocol.HELLO, HELLO_FRAME[5:])
        self.assertIn("the server's host key %s is not the one pinned" % HOST_FINGERPRINT, str(refused.exception))
        self.assertIsNone(other.schedule)

    def test_a_hello_whose_signature_does_not_cover_its_bytes_is_not_verified(self):
        for offset in (2, 33, 34, 65, 66, 97, 98, 161):
            bad = bytearray(HELLO_FRAME[5:])
            bad[offset] ^= 1
            with self.assertRaises(protocol.ServerNotVerified, msg="byte %d" % offset):
                self.handshake.on_hello(protocol.HELLO, bytes(bad))

    WEAK_KEYS = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ]

    def test_a_weak_or_non_canonical_host_key_is_refused_whatever_it_signs(self):
        # The same list as the Java side's HostKeyTest: with the identity point as the key, the
        # signature R = identity, S = 0 verifies for any message under some Ed25519 libraries.
        for hex_key in self.WEAK_KEYS:
            self.assertTrue(protocol.is_weak_host_key(bytes.fromhex(hex_key)), hex_key)
            forged = bytearray(HELLO_FRAME[5:])
            forged[66:98] = bytes.fromhex(hex_key)
            forged[98:162] = bytes.fromhex(self.WEAK_KEYS[0]) + bytes(32)
            trusting = protocol.ClientHandshake(
                "sensor-1", "k1", protocol.ScramKeys.of(SECRET), NONCE,
                X25519PrivateKey.from_private_bytes(CLIENT_PRIV),
                HostKeyTrust([protocol.host_key_fingerprint(bytes.fromhex(hex_key))]),
            )
            with self.assertRaises(protocol.ServerNotVerified, msg=hex_key):
                trusting.on_hello(protocol.HELLO, bytes(forged))
        self.assertFalse(protocol.is_weak_host_key(HOST_PUBLIC))

    def test_a_version_one_server_is_told_apart(self):
        with self.assertRaises(protocol.UnsupportedVersion) as refused:
            self.handshake.on_hello(protocol.HELLO, b"\x00\x01" + bytes(64))
        self.assertIn("version 1 (older: before host keys)", str(refused.exception))

    def test_auth_welcome_and_the_first_sealed_frame(self):
        auth = self.handshake.on_hello(protocol.HELLO, HELLO_FRAME[5:])
        self.assertEqual(auth.hex(), AUTH_FRAME.hex())
        self.assertEqual(
            self.handshake.auth_message.hex(),
            "e673e4785d4773e733dc96d771bfd0070f9c83448b216557b52631ad511188c7",
        )
        server_id, c2s, s2c = self.handshake.on_welcome(WELCOME_FRAME[:5], protocol.WELCOME, WELCOME_FRAME[5:])
        self.assertEqual(server_id, "authgate-demo")
        self.assertEqual(c2s.key.hex(), "3a9828e9a01571cc2a694f360277f7de5b419ab97b11a2c1d67b5b1b9e61c7c9")
        self.assertEqual(c2s.iv.hex(), "70ff96579244d41205d4b77f")
        self.assertEqual(s2c.key.hex(), "6827cb645126aba31b97e9b2dccd8bd44280915a80c2a0952af25f9cfc04027f")
        self.assertEqual(s2c.iv.hex(), "2c61e9b7fe3721e5dad9d6ca")
        channel = protocol.SecureChannel(None, c2s, s2c)
        self.assertEqual(channel.seal(protocol.PING, (1).to_bytes(8, "big")), FIRST_SEALED)

    def test_a_welcome_with_one_bit_flipped_does_not_verify_the_server(self):
        self.handshake.on_hello(protocol.HELLO, HELLO_FRAME[5:])
        bad = bytearray(WELCOME_FRAME)
        bad[-1] ^= 1
        with self.assertRaises(protocol.ServerNotVerified):
            self.handshake.on_welcome(bytes(bad[:5]), protocol.WELCOME, bytes(bad[5:]))

    def test_refused_instead_of_hello(self):
        with self.assertRaises(protocol.Refused) as refused:
            self.handshake.on_hello(protocol.REFUSED, b"\x05")
        self.assertEqual(refused.exception.code, 5)

    def test_a_hello_of_another_version_or_length_is_refused(self):
        with self.assertRaises(protocol.ProtocolError):
            self.handshake.on_hello(protocol.HELLO, b"\x00\x03" + HELLO_FRAME[7:])
        with self.assertRaises(protocol.ProtocolError):
            self.handshake.on_hello(protocol.HELLO, HELLO_FRAME[5:-1])

    def test_nonces_xor_the_counter_into_the_last_eight_bytes(self):
        iv = bytes(range(12))
        self.assertEqual(protocol.nonce(iv, 0), iv)
        self.assertEqual(protocol.nonce(iv, 1)[-1], iv[-1] ^ 1)
        self.assertEqual(protocol.nonce(iv, 1)[:4], iv[:4])


class CredentialTest(unittest.TestCase):
    TEXT = (
        "# a comment\nauthgate-credential 1\nclient-id sensor-1\nkey-id k1\n"
        "secret AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    )

    def test_parses_and_hides_the_secret(self):
        credential = Credential.parse(self.TEXT)
        self.assertEqual((credential.client_id, credential.key_id, credential.secret), ("sensor-1", "k1", SECRET))
        self.assertNotIn("AAEC", repr(credential))

    def test_malformed_files_name_the_problem(self):
        for text, message in [
            ("something 1\n", "not an authgate file"),
            ("authgate-credential 1\nclient-id a\nkey-id k1\n", "incomplete"),
            ("authgate-credential 1\nclient-id a/b\nkey-id k1\nsecret AAAA\n", "not a valid id"),
            ("authgate-credential 1\nclient-id a\nkey-id k1\nsecret %%%\n", "not valid base64"),
            ("authgate-credential 1\ncolour red\n", "unknown field"),
        ]:
            with self.assertRaises(CredentialError) as e:
                Credential.parse(text, "x.credential")
            self.assertIn(message, str(e.exception))



class UploadMessagesTest(unittest.TestCase):
    def test_upload_begin_layout(self):
        self.assertEqual(
            protocol.upload_begin_body("a.log", 5, overwrite=True, resume=True).hex(),
            "03" + "0000000000000005" + "0005" + b"a.log".hex(),
        )

    def test_upload_result_round_trip_and_bad_layouts(self):
        body = bytes([1]) + (5).to_bytes(8, "big") + bytes(32) + b"\x00" + b"\x00\x06stored"
        result = protocol.parse_upload_result(body)
        self.assertEqual((result.stored, result.size, result.reason, result.text), (True, 5, "", "stored"))
        for bad in (body[:-1], body + b"x", bytes([2]) + body[1:]):
            with self.assertRaises(protocol.ProtocolError):
                protocol.parse_upload_result(bad)

    def test_upload_ready_is_forty_bytes(self):
        self.assertEqual(protocol.parse_upload_ready((7).to_bytes(8, "big") + bytes(32)), (7, bytes(32)))
        with self.assertRaises(protocol.ProtocolError):
            protocol.parse_upload_ready(bytes(39))



class EnrollmentExampleTest(unittest.TestCase):
    """docs/PROTOCOL.md section 9.1."""

    def test_the_token_and_its_claimed_identity(self):
        from authgate.credential import EnrollmentToken

        old = EnrollmentToken.parse("agt1-0123456789abcdef-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
        self.assertEqual((old.token_id, old.secret, old.host_key), ("0123456789abcdef", SECRET, None))
        with self.assertRaises(CredentialError) as unpinned:
            old.credential()
        self.assertIn("--host-key", str(unpinned.exception))
        import base64, hashlib

        pin = base64.urlsafe_b64encode(hashlib.sha256(HOST_PUBLIC).digest()).decode().rstrip("=")
        token = EnrollmentToken.parse(
            "agt2-0123456789abcdef-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8-" + pin
        )
        self.assertEqual(token.host_key, HOST_FINGERPRINT)
        claimed = token.credential()
        self.assertEqual((claimed.client_id, claimed.key_id), ("token:0123456789abcdef", "t1"))
        self.assertEqual(claimed.trust.pins, [HOST_FINGERPRINT])
        self.assertEqual(old.credential(HOST_FINGERPRINT).trust.pins, [HOST_FINGERPRINT])
        self.assertNotIn("AAEC", repr(token))
        for bad in ("agt1-nothex-abc", "agt2-0123456789abcdef-" + "A" * 43, "agt1-0123456789abcdef-" + "A" * 43 + "-" + pin):
            with self.assertRaises(CredentialError):
                EnrollmentToken.parse(bad)

    def test_enroll_and_enroll_result_bytes(self):
        keys = protocol.ScramKeys.of(bytes(range(0x20, 0x40)))
        body = protocol.enroll_body("sensor-7", keys.stored_key, keys.server_key)
        self.assertEqual(
            (bytes([protocol.ENROLL]) + body).hex(),
            "400873656e736f722d3737c19b79cb46e9cdfbcdf0a4d0999b2180d4152a1643edf70d6b5aef2d8d70f9"
            "59dab0b9b4791c070ae13065a16a0932e69c758d37f0a4bd7f83fdefd40e33d8",
        )
        result = protocol.parse_enroll_result(
            H("41000873656e736f722d37026b31000014656e726f6c6c65642061732073656e736f722d37")[1:]
        )
        self.assertEqual(result, protocol.EnrollResult("enrolled", "sensor-7", "k1", "", "enrolled as sensor-7"))
        for bad in ("03000000000000", "0000000000"):
            with self.assertRaises(protocol.ProtocolError):
                protocol.parse_enroll_result(H(bad))

    def test_a_credential_formats_as_the_java_side_writes_it(self):
        credential = Credential("sensor-1", "k1", SECRET, (HOST_FINGERPRINT,))
        self.assertEqual(Credential.parse(credential.format()), credential)
        self.assertIn(
            "\nsecret AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nhost-key %s\n" % HOST_FINGERPRINT,
            credential.format(),
        )
        for bad in ("host-key SHA256:short\n", ("host-key %s\n" % HOST_FINGERPRINT) * 2):
            with self.assertRaises(CredentialError) as e:
                Credential.parse(credential.with_host_keys(()).format() + bad, "x.credential")
            self.assertIn("host-key line", str(e.exception))


if __name__ == "__main__":
    unittest.main()


ROTATING_WELCOME_FRAME = H(
    "03000000603b94a7582e05bcfa4bcb077dc14f265bed30206192db1c685cb8215dc4971321c4ff81d1e5e132"
    "bd53ceee8129cb2402adf56c0e961e552da1054176c897fc4d2475a5d2f076a502338587f000d67498bcfe42"
    "14de2e4f0bc197b3e3c09c9dd9"
)


class RotationExampleTest(unittest.TestCase):
    """docs/PROTOCOL.md section 9.3: a WELCOME that asks for a rotation, ROTATE_KEY, ROTATE_RESULT."""

    def test_the_welcome_asks_to_rotate_and_says_until_when(self):
        handshake = protocol.ClientHandshake(
            "sensor-1",
            "k1",
            protocol.ScramKeys.of(SECRET),
            NONCE,
            X25519PrivateKey.from_private_bytes(CLIENT_PRIV),
            HostKeyTrust([HOST_FINGERPRINT]),
        )
        self.assertEqual(handshake.on_hello(protocol.HELLO, HELLO_FRAME[5:]).hex(), AUTH_FRAME.hex())
        server_id, _, _ = handshake.on_welcome(
            ROTATING_WELCOME_FRAME[:5], protocol.WELCOME, ROTATING_WELCOME_FRAME[5:]
        )
        self.assertEqual(server_id, "authgate-demo")
        self.assertEqual(handshake.rotation_asked, 1795000000)

    def test_rotate_key_carries_only_the_new_verifiers(self):
        keys = protocol.ScramKeys.of(bytes(range(0x20, 0x40)))
        self.assertEqual(
            (bytes([protocol.ROTATE_KEY]) + keys.stored_key + keys.server_key).hex(),
            "7037c19b79cb46e9cdfbcdf0a4d0999b2180d4152a1643edf70d6b5aef2d8d70f959dab0b9b4791c070ae1"
            "3065a16a0932e69c758d37f0a4bd7f83fdefd40e33d8",
        )

    def test_rotate_results(self):
        stored = protocol.parse_rotate_result(
            H(
                "00026b3200003573746f726564206173206b6579206b323b206b6579206b3120776f726b7320756e74"
                "696c206b322069732066697273742075736564"
            )
        )
        self.assertEqual(
            (stored.stored, stored.key_id, stored.reason, stored.text),
            (True, "k2", "", "stored as key k2; key k1 works until k2 is first used"),
        )
        locked = protocol.parse_rotate_result(H("0100066c6f636b656400187468697320636c69656e74206964206973206c6f636b6564"))
        self.assertEqual(
            (locked.stored, locked.key_id, locked.reason, locked.text),
            (False, "", "locked", "this client id is locked"),
        )
        for bad in ("02000000000000", "000000000000", "01026b32000000", "000000"):
            with self.assertRaises(protocol.ProtocolError):
                protocol.parse_rotate_result(H(bad))
