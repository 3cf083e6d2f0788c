"""Checks on the paths a command will write, made before any work starts.

An output file must be a plain path: not a folder, device, pipe or symbolic link, with a folder (or
nothing yet) above it, and no two outputs of one command may be the same file. Each problem is one
line naming the path and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

from xmbench.errors import InputError


def check_output_file(path: str | os.PathLike, what: str) -> Path:
    """`path` as a Path if a file can be written there; InputError otherwise.

    Args:
        path: the file the command will create or replace.
        what: how the command names it (for the message), such as "--out".

    Example:
        >>> import tempfile
        >>> check_output_file(Path(tempfile.mkdtemp()) / "new" / "board.md", "--out").name
        'board.md'
    """
    path = Path(path)
    if path.is_symlink():
        raise InputError(f"{what} {path} is a symbolic link; xmbench does not write through links: pass a plain path")
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder; pass a file name (such as {path / 'board.md'})")
    if path.exists() and not path.is_file():
        raise InputError(f"{what} {path} is a device or pipe, not a file; pass a file name")
    check_output_folder(path.parent, what, child=path)
    return path


def check_output_folder(folder: str | os.PathLike, what: str, child: Path | None = None) -> Path:
    """`folder` as a Path if it is, or can be created as, a writable folder; InputError otherwise."""
    folder = Path(folder)
    target = child or folder
    for above in (folder, *folder.parents):
        if above.exists() or above.is_symlink():
            if not above.is_dir():
                raise InputError(f"{what} {target}: {above} is a file, not a folder; pass a path under a folder")
            if not os.access(above, os.W_OK | os.X_OK):
                raise InputError(f"{what} {target}: the folder {above} is not writable; pass another path")
            return folder
    return folder


def check_distinct(outputs: dict[str, str | os.PathLike]) -> None:
    """InputError when two of a command's outputs (label -> path) are the same file."""
    seen: dict[Path, str] = {}
    for label, path in outputs.items():
        key = Path(os.path.abspath(path))
        if key in seen:
            raise InputError(f"{seen[key]} and {label} are the same file {path}; give them different paths")
        seen[key] = label
