"""Checks on the paths a command will write, made before any work starts: an output is what its name says.

Every command that writes calls these on each output it will write, before any work; each problem is
one line naming the option, the path and the fix (the command line turns it into exit status 2):

- any output: given (not an empty or blank string, which would mean the working folder or a default),
  every name on its path at most 255 bytes (NAME_MAX);
- a file: not ending in a path separator, not a folder, device, pipe or symbolic link, with a folder (or
  nothing yet) above it, ending in the extension of the format written there (`MARKDOWN`, `HTML`, ...),
  and a name short enough for the temporary file written first (`.<name>.XXXXXXXX.tmp`);
- a folder: a folder or nothing yet, under folders, and not named like a file (`FILE_SUFFIXES`);
- no two outputs of one command may be the same file (`check_distinct`).
"""

from __future__ import annotations

import os
from pathlib import Path

from xmbench.atomic import TEMPORARY_NAME_EXTRA
from xmbench.errors import InputError

#: the most bytes of one name (path component) the usual file systems (ext4, xfs, btrfs, APFS) allow
NAME_MAX = 255
#: format extensions (the first is the one suggested)
MARKDOWN = (".md",)
CSV = (".csv",)
HTML = (".html", ".htm")
JSON = (".json",)
PNG = (".png",)
SAFETENSORS = (".safetensors",)
#: extensions of files: a folder output named like this is a file name given by mistake
FILE_SUFFIXES = frozenset({*MARKDOWN, *CSV, *HTML, *JSON, *PNG, *SAFETENSORS, ".jsonl", ".npz", ".pt", ".toml", ".txt"})


def check_given(path: str | os.PathLike | None, what: str, file: bool = False) -> Path | None:
    """`path` as a Path (None when the option was not given), after the checks on the name as typed that
    Path() would lose: an empty or blank name (Path("") is the working folder) and, for a `file`, a name
    ending in a separator (Path("out/") is "out").

    Example:
        >>> check_given("", "--out")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: --out is empty; pass a name, or leave the option out for its default
        >>> check_given("boards/", "--leaderboard", file=True)
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: --leaderboard boards/ ends in a separator, so it names a folder; pass a file name
    """
    if path is None:
        return None
    given = os.fspath(path)
    if not given.strip():
        raise InputError(f"{what} is empty; pass a name, or leave the option out for its default")
    if file and given.endswith(("/", os.sep)):
        raise InputError(f"{what} {given} ends in a separator, so it names a folder; pass a file name")
    return Path(given)


def _check_name_lengths(path: Path, what: str, last_extra: int = 0) -> None:
    """InputError when a name on `path` is longer than NAME_MAX bytes (the last one: NAME_MAX - last_extra)."""
    for i, part in enumerate(path.parts):
        limit = NAME_MAX - (last_extra if i == len(path.parts) - 1 else 0)
        size = len(os.fsencode(part))
        if size > limit:
            shown = part if len(part) <= 40 else f"{part[:20]}...{part[-20:]}"
            raise InputError(
                f"{what}: the name {shown!r} is {size} bytes, the file system allows {limit} here; pass a shorter name"
            )


def check_output_file(path: str | os.PathLike, what: str, suffixes: tuple[str, ...] = ()) -> Path:
    """`path` as a Path if the file it names can be written there; a one-line InputError otherwise.

    Args:
        path: the file the command will create or replace, as given.
        what: how the command names it (for the message), such as "--out".
        suffixes: the extensions of the format written there (e.g. `MARKDOWN`); empty: any.

    Example:
        >>> import tempfile
        >>> check_output_file(Path(tempfile.mkdtemp()) / "new" / "board.md", "--out", MARKDOWN).name
        'board.md'
        >>> check_output_file("table.csv", "--out", MARKDOWN)
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: --out table.csv: the file written there is .md; pass a name such as table.md
    """
    path = check_given(path, what, file=True)
    example = f"out{suffixes[0]}" if suffixes else "out"
    _check_name_lengths(path, what, TEMPORARY_NAME_EXTRA)
    if path.is_symlink():
        raise InputError(f"{what} {path} is a symbolic link; xmbench does not write through links: pass a plain path")
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder; pass a file name (such as {path / example})")
    if path.exists() and not path.is_file():
        raise InputError(f"{what} {path} is a device or pipe, not a file; pass a file name")
    _check_folders_above(path.parent, what, path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(
            f"{what} {path}: the file written there is {' or '.join(suffixes)}; pass a name such as "
            f"{path.stem}{suffixes[0]}"
        )
    return path


def check_output_folder(folder: str | os.PathLike, what: str) -> Path:
    """`folder` as a Path if it is, or can be created as, a writable folder; a one-line InputError otherwise.

    Example:
        >>> import tempfile
        >>> check_output_folder(Path(tempfile.mkdtemp()) / "runs", "--out").name
        'runs'
        >>> check_output_folder("results.csv", "--out")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: --out results.csv is named like a .csv file, but xmbench writes a folder there; ...
    """
    folder = check_given(folder, what)
    _check_name_lengths(folder, what)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{what} {folder} is a file, not a folder; pass a folder name")
    if not folder.exists() and folder.suffix.lower() in FILE_SUFFIXES:
        raise InputError(
            f"{what} {folder} is named like a {folder.suffix} file, but xmbench writes a folder there; "
            f"pass a folder name (such as {folder.with_suffix('')})"
        )
    return _check_folders_above(folder, what, folder)


def _check_folders_above(folder: Path, what: str, target: Path) -> Path:
    """`folder` unless the nearest existing folder on its way up is a file or not writable."""
    for above in (folder, *folder.parents):
        if above.exists() or above.is_symlink():
            if not above.is_dir():
                raise InputError(f"{what} {target}: {above} is a file, not a folder; pass a path under a folder")
            if not os.access(above, os.W_OK | os.X_OK):
                raise InputError(f"{what} {target}: the folder {above} is not writable; pass another path")
            return folder
    return folder


def check_distinct(outputs: dict[str, str | os.PathLike]) -> None:
    """InputError when two of a command's outputs (label -> path) are the same file.

    Example:
        >>> check_distinct({"--out": "r.md", "--markdown": "./r.md"})
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: --out and --markdown are the same file ./r.md; give them different paths
    """
    seen: dict[Path, str] = {}
    for label, path in outputs.items():
        key = Path(os.path.abspath(path))
        if key in seen:
            raise InputError(f"{seen[key]} and {label} are the same file {path}; give them different paths")
        seen[key] = label
