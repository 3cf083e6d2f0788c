"""Download one file over HTTP(S): streamed to a partial file, resumable, hash-verified, renamed.

The partial file `.<name>.part` sits beside the destination and survives an interrupted transfer;
the next call asks the server for the remaining bytes (HTTP Range) and continues. Only a file whose
sha256 matches the pinned hash is renamed into place, so the destination is either absent or right.
Two processes fetching the same file take turns (an exclusive lock on the partial file).
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from xmbench.errors import WeightsError

#: bytes per read; also the unit the progress callback is called at
CHUNK = 1 << 20
#: seconds without a byte before a transfer is abandoned (it can be resumed)
TIMEOUT_S = 60.0

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-\d+/(\d+|\*)$")


def partial_path(dest: Path) -> Path:
    """Where the bytes of an unfinished download of `dest` are kept."""
    return dest.parent / f".{dest.name}.part"


def fetch_file(
    url: str,
    dest: str | os.PathLike,
    sha256: str,
    *,
    log: Callable[[str], None] | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Path:
    """Download `url` to `dest` unless `dest` already exists; returns `dest`.

    Args:
        url: http:// or https:// address of the file.
        dest: final path; its folder is created.
        sha256: expected hex digest (64 characters) of the whole file.
        log: called with one line at the start and the end (None: silent).
        timeout_s: seconds without progress before giving up (the partial file is kept for a resume).

    Raises:
        WeightsError: one line naming the URL and the destination, for a server error, an unreachable
            host, a transfer that stopped early (rerun to resume) or a hash mismatch (the bytes are deleted).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> src = Path(tempfile.mkdtemp()) / "w.bin"
        >>> _ = src.write_bytes(b"weights")
        >>> digest = hashlib.sha256(b"weights").hexdigest()
        >>> fetch_file("http://127.0.0.1:9/w.bin", src, digest) == src  # already present: nothing is fetched
        True
    """
    dest = Path(dest)
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(dest)
    with open(part, "ab") as out:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX)  # another process may be fetching the same file
        if dest.is_file():  # it finished while we waited
            return dest
        if log:
            log(f"fetching {url} -> {dest}")
        digest = _transfer(url, out, part, dest, timeout_s)
        if digest != sha256:
            part.unlink(missing_ok=True)
            raise WeightsError(
                f"{url} gave a file whose sha256 is {digest}, not the pinned {sha256}; nothing was kept at "
                f"{dest} (a changed or corrupt upload: fetch it again later, or place a verified file there)"
            )
        out.flush()
        os.fsync(out.fileno())
        os.replace(part, dest)
    if log:
        log(f"verified sha256 {sha256[:12]}…: {dest}")
    return dest


def _transfer(url: str, out: BinaryIO, part: Path, dest: Path, timeout_s: float) -> str:
    """Append the missing bytes of `url` to `out` (resuming at its size); returns the whole file's sha256."""
    have = out.seek(0, os.SEEK_END)
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)  # noqa: S310 - only http(s) URLs are pinned
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the partial file is not a prefix the server recognises: start again
            out.truncate(0)
            return _transfer(url, out, part, dest, timeout_s)
        raise WeightsError(
            f"{url} answered HTTP {e.code} ({e.reason}); try again later, or place the file at {dest}"
        ) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise WeightsError(
            f"cannot reach {url} ({reason}); place the file at {dest} yourself, or set XMBENCH_OFFLINE=1"
        ) from None
    with response:
        start, total = _resume_point(response, have)
        if start == 0 and have:
            out.truncate(0)
        digest = _hash_prefix(part, start)
        received = _copy(response, out, digest, url, dest)
    size = start + received
    if total is not None and size < total:
        raise WeightsError(
            f"{url}: the transfer stopped at {size} of {total} bytes; run the same command again to resume "
            f"(the bytes so far are kept in {part})"
        )
    return digest.hexdigest()


def _resume_point(response: http.client.HTTPResponse, have: int) -> tuple[int, int | None]:
    """(offset the body starts at, whole file size if known) from the status and headers."""
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match and int(match.group(1)) == have:
            return have, None if match.group(2) == "*" else int(match.group(2))
        raise WeightsError(f"{response.url}: the server resumed at the wrong offset; delete the partial file and retry")
    length = response.headers.get("Content-Length")
    return 0, int(length) if length and length.isdigit() else None


def _hash_prefix(part: Path, length: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    with open(part, "rb") as f:
        while length > 0 and (block := f.read(min(CHUNK, length))):
            digest.update(block)
            length -= len(block)
    return digest


def _copy(response: BinaryIO, out: BinaryIO, digest: hashlib._Hash, url: str, dest: Path) -> int:
    received = 0
    try:
        while block := response.read(CHUNK):
            out.write(block)
            digest.update(block)
            received += len(block)
    except (OSError, http.client.HTTPException) as e:  # reset, timeout, IncompleteRead: keep what arrived
        out.flush()
        raise WeightsError(
            f"{url}: the transfer broke off after {received} bytes ({e.__class__.__name__}); run the same "
            f"command again to resume into {dest}"
        ) from None
    return received


def print_line(line: str) -> None:
    """The default progress line printer (stderr, so that stdout stays machine-readable)."""
    print(line, file=sys.stderr, flush=True)
