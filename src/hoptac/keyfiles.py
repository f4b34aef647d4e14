"""Files that hold secrets (node keys, the TOTP sealing key, a restored backup's keys):
written new and owner-only, and refused when the group or others may read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hoptac.errors import InvalidInput


def write_private(path: Path, data: bytes) -> None:
    """A new file readable by its owner only (0600 whatever the umask), on disk before
    this returns; never over an existing file (FileExistsError)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def owner_only(path: Path, forbidden: int = 0o077) -> None:
    """Refuse `path` if its mode grants any of `forbidden` (by default: anything to the
    group or others), saying how to fix it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & forbidden:
        raise InvalidInput(
            f"{path} is readable by others (mode {mode:o}); run `chmod go-rwx {path}`"
        )
