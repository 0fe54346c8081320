"""Durations on the command line read as auth-client reads them (``--wait 10m``)."""

import argparse
import unittest

from authgate.__main__ import _duration


class DurationTest(unittest.TestCase):
    def test_units_and_bare_seconds(self):
        self.assertEqual(_duration("500ms"), 0.5)
        self.assertEqual(_duration("10s"), 10)
        self.assertEqual(_duration("5m"), 300)
        self.assertEqual(_duration("2h"), 7200)
        self.assertEqual(_duration("1d"), 86400)
        self.assertEqual(_duration("30"), 30)

    def test_anything_else_is_a_usage_error_that_says_how(self):
        for bad in ("", "m", "10 minutes", "-5s", "1e3"):
            with self.subTest(bad=bad), self.assertRaisesRegex(argparse.ArgumentTypeError, "is not a duration; use e.g. 500ms, 10s, 5m, 2h"):
                _duration(bad)


if __name__ == "__main__":
    unittest.main()
