"""docs/PROTOCOL.md section 9, byte for byte, from the client's side."""

import unittest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from authgate import protocol
from authgate.credential import Credential, CredentialError

H = bytes.fromhex
SECRET = bytes(range(32))
CHALLENGE = bytes(range(0x20, 0x40))
NONCE = bytes(range(0x40, 0x60))
SERVER_PRIV = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
CLIENT_PRIV = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
HELLO_FRAME = H(
    "01000000420001202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
)
AUTH_FRAME = H(
    "02000001120001404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f8520f009"
    "8930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a5ec09a837fe3d1b2a677bbd1d2e22bda"
    "6180890d396cbb9b1fd566362d3f8d39b7bf74257df222e3890065236a4fc62acd51549cf914ce60d1cb2890d3"
    "1771656049458fe5a45e2968a81cac9814884b849a48fa422fe3ab97000ab829667ee54c59811c63f29e8855"
    "9df9b47a5426ae0bac6f813132325748992e12982d1b9edce132f6e67c647497e1bf06dc6e1152a93a213a39"
    "649033dcf0310465b6926d3e3f112798e44f799309a05c52457e621c20389ad303f2f577063da2c872c3cbde"
    "b6557e781802ccec389d16e2fac1e8"
)
WELCOME_FRAME = H(
    "030000003eb8640b8ca3cef9401addca59077d81fc67e609caee93e61a51185af3d1ba7f8a56b31cec64d5bb"
    "173ab4f57ab150c6f8bc56f4aa904a00979cffa679c7db"
)
FIRST_SEALED = H("1000000019033ecb32fd2bcb356046a3633e9346c7e733fb7f29ab7aa29c")


class WorkedExampleTest(unittest.TestCase):
    def setUp(self):
        self.handshake = protocol.ClientHandshake(
            "sensor-1",
            "k1",
            protocol.ScramKeys.of(SECRET),
            NONCE,
            X25519PrivateKey.from_private_bytes(CLIENT_PRIV),
        )

    def test_scram_keys(self):
        keys = protocol.ScramKeys.of(SECRET)
        self.assertEqual(keys.client_key.hex(), "2a75f4c60c0bc0ea1143a1b95f32f9c571be775a402f41f14146298c3170d02f")
        self.assertEqual(keys.stored_key.hex(), "e9cb7d524d0a37b9f58df5da526819cc1df9c66a3cffee4f4cf2502654f2a6c0")
        self.assertEqual(keys.server_key.hex(), "d1905aa193a45c4f683bbbfa07d3bd2dcb180db624f2b2db739df1b3cd72e01a")

    def test_the_hello_of_the_example_is_bobs_public_key_after_the_challenge(self):
        server_pub = X25519PrivateKey.from_private_bytes(SERVER_PRIV).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.assertEqual(protocol.frame(protocol.HELLO, b"\x00\x01" + CHALLENGE + server_pub), HELLO_FRAME)

    def test_auth_welcome_and_the_first_sealed_frame(self):
        auth = self.handshake.on_hello(protocol.HELLO, HELLO_FRAME[5:])
        self.assertEqual(auth.hex(), AUTH_FRAME.hex())
        self.assertEqual(
            self.handshake.auth_message.hex(),
            "52e190245156e611f3f556902a59933c5b581b8608dc07d22189df2677859927",
        )
        server_id, c2s, s2c = self.handshake.on_welcome(WELCOME_FRAME[:5], protocol.WELCOME, WELCOME_FRAME[5:])
        self.assertEqual(server_id, "authgate-demo")
        self.assertEqual(c2s.key.hex(), "6e87f2546a1891b8d675c0a90577609dc9db6b782e57fcd5ffa2362a92d12ca8")
        self.assertEqual(c2s.iv.hex(), "216f47c3e81589cefa6734cd")
        self.assertEqual(s2c.key.hex(), "06713ce249c742fb973e429d4039021a497566bc66c55ec810b21a88ba719dad")
        self.assertEqual(s2c.iv.hex(), "e786001eee966430dc284f36")
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
            self.handshake.on_hello(protocol.HELLO, b"\x00\x02" + HELLO_FRAME[7:])
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

        token = EnrollmentToken.parse("agt1-0123456789abcdef-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
        self.assertEqual((token.token_id, token.secret), ("0123456789abcdef", SECRET))
        claimed = token.credential()
        self.assertEqual((claimed.client_id, claimed.key_id), ("token:0123456789abcdef", "t1"))
        self.assertNotIn("AAEC", repr(token))
        with self.assertRaises(CredentialError):
            EnrollmentToken.parse("agt1-nothex-abc")

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
        credential = Credential("sensor-1", "k1", SECRET)
        self.assertEqual(Credential.parse(credential.format()), credential)
        self.assertIn("\nsecret AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", credential.format())


if __name__ == "__main__":
    unittest.main()
