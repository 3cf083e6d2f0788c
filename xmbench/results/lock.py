"""An advisory, inter-process file lock (fcntl.flock on a hidden `.<name>.lock` file beside the target)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from xmbench.errors import XmbenchError


@contextlib.contextmanager
def file_lock(path: str | os.PathLike, timeout_s: float = 600.0) -> Iterator[Path]:
    """Hold an exclusive lock tied to `path` (the lock file is the hidden `.<name>.lock` beside it).

    Waits up to `timeout_s` seconds for another holder; raises XmbenchError after that. The lock is
    released when the block ends or the process dies (the kernel drops flock locks with the file).
    """
    lock_path = Path(path).parent / f".{Path(path).name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise XmbenchError(
                        f"{lock_path} is held by another xmbench process for over {timeout_s:.0f} s; "
                        "wait for it to finish (the lock frees itself when that process ends)"
                    ) from None
                time.sleep(0.05)
        yield lock_path
    finally:
        os.close(fd)
