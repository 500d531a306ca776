#!/usr/bin/env python3
"""Writes the plist fixtures with Python's plistlib, a writer independent of howett.net/plist.

Run from this directory: python3 gen_fixtures.py. The outputs are checked in so the tests
and fuzz seeds work without Python; the tests re-read them with plistlib and plistutil.
The token values are fake.
"""
import datetime
import plistlib

PREFS = {
    "PlexOnlineToken": "fake-token-Zx9qW3rT5yU7iO1pA",
    "PlexOnlineMail": "jürgen@example.org",
    "PlexOnlineUsername": "Jürgen ☃ 日本",
    "PlexOnlineHome": True,
    "FriendlyName": "den",
    "MachineIdentifier": "5f1a2b3c-0000-4000-8000-0123456789ab",
    "AcceptedEULA": True,
    "PublishServerOnPlexOnlineKey": False,
    "ManualPortMappingPort": 32400,
    "NegativeOffset": -42,
    "NegativeBig": -9007199254740993,
    "BigUnsigned": 18446744073709551615,
    "MidInteger": 4294967296,
    "TranscoderQuality": 2.5,
    "Ratio": 0.1,
    "LastUpdateCheck": datetime.datetime(2024, 3, 9, 17, 45, 12),
    "PreciseDate": datetime.datetime(2024, 3, 9, 17, 45, 12, 345678),
    "Blob": bytes(range(0, 64)),
    "EmptyString": "",
    "Nested": {
        "Inner": {"Deep": [1, "two", 3.0, False]},
        "When": datetime.datetime(1999, 12, 31, 23, 59, 59),
        "Bytes": b"\x00\xff",
    },
    "List": ["a", 1, -1, 1.5, True, b"xy", {"k": "v"}, []],
}

def main():
    with open("prefs.binary.plist", "wb") as f:
        plistlib.dump(PREFS, f, fmt=plistlib.FMT_BINARY, sort_keys=False)
    with open("prefs.xml.plist", "wb") as f:
        plistlib.dump(PREFS, f, fmt=plistlib.FMT_XML, sort_keys=False)

if __name__ == "__main__":
    main()
