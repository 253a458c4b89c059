"""The state file: restored at start, written after every change and at stop.

Writes go to a temporary file in the same directory and are renamed over the old one, so a crash
mid-write leaves the previous state intact.
"""

import json
import os
import tempfile

FORMAT_VERSION = 1


class StateFile:
    def __init__(self, path):
        self.path = os.path.abspath(path)

    def load(self):
        """The saved document, or None when there is no file yet."""
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        if data.get("version") != FORMAT_VERSION:
            raise ValueError("state file %s has an unknown format version" % self.path)
        return data

    def save(self, data):
        document = dict(data, version=FORMAT_VERSION)
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, exist_ok=True)
        # The file holds private keys and secrets: owner-only permissions.
        fd, temporary = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
