"""Atomic file writes: write to a temporary name in the same folder, fsync, rename.

A reader never sees a half-written file; an interrupted write leaves the old file (or none).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

#: the temporary file of `path` is `.<name>.XXXXXXXX.tmp` (8 random characters): this many bytes longer
TEMPORARY_NAME_EXTRA = len("..") + 8 + len(".tmp")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically; creates parent folders. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; give the file the permissions an ordinary open() would
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to `path` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write `obj` as indented, key-sorted JSON to `path` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


#: a temporary file untouched this long belongs to a writer that died (live writes take seconds)
STALE_AFTER_S = 3600.0


def remove_stale_temporaries(root: str | os.PathLike, older_than_s: float = STALE_AFTER_S) -> int:
    """Delete the `.<name>.tmp` files and folders that writers killed mid-write (SIGKILL) left under
    `root`, once untouched for `older_than_s` seconds; returns how many were removed.

    Example:
        >>> import tempfile
        >>> remove_stale_temporaries(tempfile.mkdtemp())
        0
    """
    root = Path(root)
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than_s, 0
    for path in list(root.rglob(".*.tmp")):
        with contextlib.suppress(FileNotFoundError):  # a concurrent run may have removed it first
            if path.lstat().st_mtime >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
    return removed
