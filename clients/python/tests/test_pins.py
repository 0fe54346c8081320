"""What the Python client learns from verified servers, and what it never does with its pins (the
same cases as the Java side's HostKeyTrustTest)."""

import os
import stat
import tempfile
import unittest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authgate import protocol
from authgate.credential import MAX_HOST_KEYS, Credential, write_pins


def key() -> str:
    pub = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return protocol.host_key_fingerprint(pub)


class PinsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "m.credential")

    def write(self, pins, key_id="k1"):
        fd = os.open(self.path + ".new", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, Credential("m", key_id, os.urandom(32), tuple(pins)).format().encode())
        os.close(fd)
        os.replace(self.path + ".new", self.path)

    def test_a_pin_the_operator_removed_is_not_written_back_by_a_running_client(self):
        current, suspect, nxt = key(), key(), key()
        self.write([current, suspect])
        running = Credential.load(self.path).trust
        write_pins(self.path, [current])  # the operator, while the client runs
        with self.assertRaises(protocol.HostKeyNotTrusted):
            running(suspect)
        running(current)
        running.learned(current, [nxt], [])
        self.assertEqual(list(Credential.load(self.path).host_keys), [current, nxt])

    def test_a_full_credential_learns_no_more_and_never_loses_the_pin_that_signs(self):
        current = key()
        pins = [current] + [key() for _ in range(MAX_HOST_KEYS - 1)]
        self.write(pins)
        trust = Credential.load(self.path).trust
        trust.learned(current, [key() for _ in range(8)], [current])
        self.assertEqual(trust.pins, pins)
        self.assertEqual(list(Credential.load(self.path).host_keys), pins)

    def test_a_credential_replaced_meanwhile_keeps_its_new_secret(self):
        current = key()
        self.write([current])
        trust = Credential.load(self.path).trust
        self.write([current], key_id="k2")
        installed = Credential.load(self.path)
        trust.learned(current, [key()], [])
        now = Credential.load(self.path)
        self.assertEqual((now.key_id, now.secret), ("k2", installed.secret))
        self.assertEqual(len(now.host_keys), 2)

    def test_a_linked_credential_is_rewritten_where_it_points(self):
        current, nxt = key(), key()
        self.write([current])
        link = os.path.join(self.dir, "link.credential")
        os.symlink(self.path, link)
        Credential.load(link).trust.learned(current, [nxt], [])
        self.assertTrue(os.path.islink(link))
        self.assertEqual(list(Credential.load(self.path).host_keys), [current, nxt])
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)


if __name__ == "__main__":
    unittest.main()
