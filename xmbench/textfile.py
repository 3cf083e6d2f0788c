"""Bounded, checked reads of the text files users give (configs, captions, records).

A device node, pipe or folder given where a file belongs, a file beyond a size limit, or bytes that
are not UTF-8 give one line naming the file and the fix, never a hang, an exhausted machine or a
traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from xmbench.errors import InputError


def read_bytes_bounded(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them.

    Raises InputError (one line) when `path` is missing, is not a regular file (a folder, /dev/zero, a
    pipe), is larger than `max_bytes`, or cannot be read.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.txt"
        >>> _ = p.write_text("hi")
        >>> read_bytes_bounded(p, 10)
        b'hi'
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:  # open first, then look at what was opened (no race with a swap)
            kind = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(kind):
                raise InputError(f"{what} {path} is {_kind(kind)}, not a regular file; pass a file")
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"{what} {path} not found; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder, not a file; pass a file") from None
    except OSError as e:
        raise InputError(f"{what} {path} cannot be read ({e.strerror or type(e).__name__}); check the path") from None
    if len(data) > max_bytes:
        raise InputError(f"{what} {path} is larger than {max_bytes} bytes; is it the right file?")
    return data


def read_text_bounded(path: str | os.PathLike, max_bytes: int, what: str = "file") -> str:
    """read_bytes_bounded decoded as UTF-8; a byte that is not UTF-8 gives one line naming its line.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.txt"
        >>> _ = p.write_bytes(b"ok\\ncaf\\xe9")
        >>> try:
        ...     read_text_bounded(p, 100, "captions file")
        ... except InputError as e:
        ...     print(str(e).split(": ", 1)[1])
        line 2 is not UTF-8 (byte 0xe9 at offset 6); save the file as UTF-8
    """
    data = read_bytes_bounded(path, max_bytes, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(
            f"{what} {path}: line {line} is not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save the file as UTF-8"
        ) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
