"""One METEOR 1.5 jar process (`-stdio` mode) shared by every METEOR call of a Python process.

The jar takes about 10 s to start (it loads its paraphrase table) and scores any number of segment
sets through its `-stdio` protocol, so the process is started on first use and kept: each call
writes one `SCORE ||| ref ||| ... ||| hypothesis` line per image (the jar answers with the image's
sufficient statistics) and then one `EVAL ||| stats ||| ...` line (the jar answers with one score per
image, then the corpus score). The lines are exactly those of pycocoevalcap's `Meteor` wrapper, so
the values are too. Calls are serialised by a lock; a process found dead, or dying during a call, is
replaced and the call retried once; a forked child starts its own; the process is closed at exit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from typing import IO

from xmbench.errors import InputError
from xmbench.metrics.captioning._java import pycocoevalcap_dir

#: pycocoevalcap's command (meteor/meteor.py), run in the folder holding the jar and its data
COMMAND = ("java", "-jar", "-Xmx2G", "meteor-1.5.jar", "-", "-", "-stdio", "-l", "en", "-norm")


class _Died(Exception):
    """The jar closed its pipes or answered something that is not a score."""


def score_line(hypothesis: str, references: Sequence[str]) -> str:
    """The `-stdio` SCORE line of one image, as pycocoevalcap's `Meteor._stat` writes it.

    Example:
        >>> score_line("a red  ||| circle", ["a red circle", "one blue square"])
        'SCORE ||| a red circle ||| one blue square ||| a red circle'
    """
    hypothesis = hypothesis.replace("|||", "").replace("  ", " ")
    return " ||| ".join(("SCORE", " ||| ".join(references), hypothesis))


class MeteorProcess:
    """pycocoevalcap's METEOR jar in `-stdio` mode, started on first use and reused by every later call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._owner = os.getpid()

    @property
    def pid(self) -> int | None:
        """The running jar's process id; None before the first call and after close()."""
        return self._proc.pid if self._proc is not None and self._owner == os.getpid() else None

    def score(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> tuple[float, list[float]]:
        """(corpus METEOR, per-image METEOR) of one caption per image against its references."""
        lines = [score_line(h, refs) for h, refs in zip(hypotheses, references, strict=True)]
        with self._lock:
            try:
                try:
                    return _exchange(self._running(), lines)
                except _Died:  # it died before or during this call: once more with a new jar
                    self._stop()
                    return _exchange(self._running(), lines)
            except _Died:
                raise InputError(self._stop(reason=True)) from None
            except BaseException:  # e.g. KeyboardInterrupt: a half-read answer would shift the next call's
                self._stop()
                raise

    def close(self) -> None:
        """Stop the jar (registered at exit); the next call starts a new one."""
        with self._lock:
            self._stop()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._owner != os.getpid():  # a forked child: the parent's pipes are not ours to use
            self._proc, self._stderr, self._owner = None, None, os.getpid()
        if self._proc is not None and self._proc.poll() is not None:
            self._stop()
        if self._proc is None:
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (open as long as the jar runs)
            self._proc = subprocess.Popen(
                COMMAND,
                cwd=pycocoevalcap_dir("METEOR") / "meteor",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        return self._proc

    def _stop(self, reason: bool = False) -> str:
        """Kill the jar if it runs; with `reason`, the one-line error naming how it ended."""
        proc, stderr, self._proc, self._stderr = self._proc, self._stderr, None, None
        if proc is None or self._owner != os.getpid():
            return ""
        if proc.stdin:
            with contextlib.suppress(OSError):  # its pipe may be broken already
                proc.stdin.close()
        proc.kill()
        status = proc.wait()
        message = _failure(status, stderr) if reason else ""
        if stderr is not None:
            stderr.close()
        return message


def _exchange(proc: subprocess.Popen[bytes], lines: list[str]) -> tuple[float, list[float]]:
    """One call's conversation: SCORE lines one by one (each answered by statistics), then EVAL."""
    stats = []
    for line in lines:
        _write(proc, line)
        stats.append(_read(proc))
    _write(proc, "".join(["EVAL", *(f" ||| {s}" for s in stats)]))
    per_image = [_read_float(proc) for _ in lines]
    return _read_float(proc), per_image


def _write(proc: subprocess.Popen[bytes], line: str) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(f"{line}\n".encode())
        proc.stdin.flush()
    except OSError as e:  # BrokenPipeError: the jar is gone
        raise _Died from e


def _read(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise _Died
    return line.decode().strip()


def _read_float(proc: subprocess.Popen[bytes]) -> float:
    text = _read(proc)
    try:
        return float(text)
    except ValueError:
        raise _Died from None


def _failure(status: int, stderr: IO[bytes] | None) -> str:
    """One line: how the jar ended, its last words on stderr, and what to check."""
    last = ""
    if stderr is not None:
        stderr.seek(0)
        lines = [t.strip() for t in stderr.read().decode(errors="replace").splitlines() if t.strip()]
        last = f" ({lines[-1][:200]})" if lines else ""
    return (
        f"METEOR's Java process (meteor-1.5.jar) failed twice, exit status {status}{last}; check that "
        "`java -version` runs (Java 8 or newer) and that 2 GB of memory are free"
    )
