"""The rules every dataset reader applies: the files a dataset brings are untrusted.

A dataset folder may come from anywhere (an archive, a colleague, a generated index). Whatever its
files say, every reader (folder, COCO, Karpathy, CUB, Oxford-102)

- reads a text file of the dataset only up to `MAX_FILE_BYTES`, as UTF-8 (`read_dataset_text`, `read_json`);
- opens only files inside the folder a name is relative to: no absolute path, no `..`, no link that
  leaves the folder (`relative_name`, `confined`). The folders of the layout itself (`val2014/`,
  `jpg/`, a folder suite's root) may be links, e.g. to a shared copy of the images;
- takes a field only with its JSON type (`field`): a caption is a string, an id an integer;
- refuses a key that must be unique when it appears twice (`refuse_duplicates`), never keeping one copy
  silently.

Every refusal is one InputError line naming the file (and the entry or line where known) and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from xmbench.errors import InputError
from xmbench.textfile import read_bytes_bounded, read_text_bounded

#: a dataset text file (annotation JSON, index, class list, caption file) larger than this is refused;
#: the largest real one, Karpathy's dataset_coco.json, is about 150 MB
MAX_FILE_BYTES = 1 << 30
#: what PIL raises on a file that is not a readable image (corrupt, truncated, beyond its pixel limit)
IMAGE_ERRORS = (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError)

_JSON_TYPES = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}


def read_dataset_text(path: Path, what: str, lenient: bool = False) -> str:
    """The text of a dataset's file, at most MAX_FILE_BYTES of UTF-8.

    Args:
        path: the file (a regular file: a folder, device or pipe is refused).
        what: what the file is, for the error line ("class list").
        lenient: replace bytes that are not UTF-8 instead of refusing the file (caption files).

    Returns:
        The decoded text.

    Raises:
        InputError: one line naming the file when it is missing, not a regular file, larger than
            MAX_FILE_BYTES, or (unless lenient) not UTF-8.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "classes.txt"
        >>> _ = p.write_bytes(b"001.Albatross\\n\\xff\\n")
        >>> read_dataset_text(p, "class list", lenient=True).splitlines()[1] == "\\N{REPLACEMENT CHARACTER}"
        True
        >>> try:
        ...     read_dataset_text(p, "class list")
        ... except InputError as e:
        ...     print(str(e).split(": ", 1)[1])
        line 2 is not UTF-8 (byte 0xff at offset 14); save the file as UTF-8
    """
    if lenient:
        return read_bytes_bounded(path, MAX_FILE_BYTES, what).decode("utf-8", errors="replace")
    return read_text_bounded(path, MAX_FILE_BYTES, what)


def parse_json(text: str, where: str, fix: str) -> Any:
    """json.loads(text); malformed JSON (bad syntax, nesting too deep) is one InputError line.

    Args:
        text: the JSON text.
        where: the file (and line) it came from, which starts the error line.
        fix: what to do about it, which ends the error line.

    Example:
        >>> parse_json('{"id": 1}', "a.json", "restore the file")
        {'id': 1}
        >>> parse_json('{"id": 1', "a.json", "restore the file")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: a.json: not valid JSON (Expecting ',' delimiter at column 9); restore the file
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        line = f"line {e.lineno} " if "\n" in text else ""
        problem = f"{e.msg} at {line}column {e.colno}"
    except RecursionError:
        problem = "nested too deeply"
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        problem = str(e).split(";")[0]
    raise InputError(f"{where}: not valid JSON ({problem}); {fix}")


def read_json(path: Path, what: str, fix: str) -> Any:
    """The JSON value of the file `path`, read with read_dataset_text and parsed with parse_json.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "captions.json"
        >>> _ = p.write_text('{"images": []}')
        >>> read_json(p, "COCO captions file", "re-extract the archive")
        {'images': []}
    """
    return parse_json(read_dataset_text(path, what), str(path), fix)


def field(entry: Any, key: str, kind: type, where: str, fix: str) -> Any:
    """entry[key], which must be of JSON type `kind` (str, int, list or dict; true is not an integer).

    Args:
        entry: a parsed JSON value that should be an object.
        key: the field.
        kind: its Python type.
        where: the file and entry (`captions.json: images[3]`), which starts the error line.
        fix: what to do about it, which ends the error line.

    Example:
        >>> field({"id": 42}, "id", int, "a.json: images[0]", "restore the file")
        42
        >>> field({"id": "42"}, "id", int, "a.json: images[0]", "restore the file")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: a.json: images[0]: field 'id' must be an integer (got a string "42"); restore...
    """
    value = entry.get(key) if type(entry) is dict else None
    if type(value) is kind:  # JSON gives exact types; true is a bool, not an integer
        return value
    if type(entry) is not dict:
        got = f"the entry is {_shown(entry)}, not an object"
    else:
        got = f"got {_shown(value)}" if key in entry else "it is missing"
    raise InputError(f"{where}: field {key!r} must be {_JSON_TYPES[kind]} ({got}); {fix}")


def _shown(value: Any) -> str:
    """A JSON value as an error line shows it: its type and its first characters (null, true, false alone)."""
    text = json.dumps(value, ensure_ascii=True)
    text = text if len(text) <= 40 else f"{text[:40]}..."
    return text if value is None or isinstance(value, bool) else f"{_JSON_TYPES.get(type(value), 'a value')} {text}"


def relative_name(name: str, where: str, what: str) -> str:
    """`name` if it is a relative path that stays in its folder as written (no '..', not absolute).

    Links are checked where the file is opened (`confined`); this check needs no file system, so an
    index is checked whole before any of its files is read.

    Args:
        name: a path read from a dataset's file ("val2014/COCO_val2014_000000000042.jpg").
        where: the file and entry that named it, which starts the error line.
        what: what it names ("image").

    Example:
        >>> relative_name("val2014/a.jpg", "dataset_coco.json: images[0]", "image")
        'val2014/a.jpg'
        >>> relative_name("../../home/a.jpg", "dataset_coco.json: images[0]", "image")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: dataset_coco.json: images[0]: image '../../home/a.jpg' is outside the dataset ...
    """
    parts = name.split("/")
    if "\0" in name or set(parts) <= {"", "."}:
        raise InputError(f"{where}: {what} {name!r} is not a file name; give a path relative to the dataset folder")
    if name.startswith("/") or ".." in parts:
        raise InputError(
            f"{where}: {what} {name!r} is outside the dataset folder; give a relative path without '..' "
            "(copy the file into the folder)"
        )
    return name


def confined(folder: Path, name: str, where: str, what: str) -> Path:
    """folder / name, which must lie inside `folder` once links are resolved (see relative_name).

    Args:
        folder: the folder the dataset's layout says `name` is relative to (itself possibly a link).
        name: the relative path read from the dataset.
        where: the file (and entry) that named it, which starts the error line.
        what: what it names ("image").

    Raises:
        InputError: `name` is absolute, holds '..', or leads through a link out of `folder` (or into a loop).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "a.png").symlink_to("/no-such-folder/secret.png")
        >>> confined(folder, "b.png", "captions.jsonl:1", "image") == folder / "b.png"
        True
        >>> confined(folder, "a.png", "captions.jsonl:1", "image")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: captions.jsonl:1: image 'a.png' is a link to /no-such-folder/secret.png, outside ...
    """
    path = folder / relative_name(name, where, what)
    try:
        target, base = path.resolve(), folder.resolve()
    except (OSError, RuntimeError) as e:  # RuntimeError: a link loop
        raise InputError(f"{where}: {what} {name!r} cannot be resolved ({e}); fix or remove the link") from None
    if not target.is_relative_to(base):
        raise InputError(
            f"{where}: {what} {name!r} is a link to {target}, outside {folder}; copy the file into the folder"
        )
    return path


def refuse_duplicates(keys: Iterable[Hashable], where: str, what: str, fix: str) -> None:
    """Raise InputError naming `where` and the first key of `keys` that appears twice.

    Args:
        keys: the keys that must be unique (image ids, file names, class names), in file order.
        where: the file (or files) they come from, which starts the error line.
        what: what a key is ("image id").
        fix: what to do about it, which ends the error line.

    Example:
        >>> refuse_duplicates([1, 2, 3], "a.json", "image id", "keep one")
        >>> refuse_duplicates([1, 2, 1], "a.json", "image id", "keep one")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: a.json: image id 1 appears twice; keep one
    """
    seen: set[Hashable] = set()
    for key in keys:
        if key in seen:
            raise InputError(f"{where}: {what} {key!r} appears twice; {fix}")
        seen.add(key)
