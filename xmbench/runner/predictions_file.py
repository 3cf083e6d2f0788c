"""Captions written elsewhere, keyed to the run's evaluation images (model kind `predictions`).

Formats, by the file's content:

- COCO results (`.json`, a list): `[{"image_id": 42, "caption": "..."}]`; image_id is the COCO id on
  the COCO suites (coco2014, coco2017, coco-karpathy), else the suite's sample index of the image;
- a JSON object keyed by sample index: `{"0": "...", "5": "..."}`;
- JSON lines (`.jsonl`): `{"index": 0, "caption": "..."}` per line.

Entries for images the run does not evaluate are ignored. A duplicate id, a caption that is not a
string, or an evaluation image without a caption is one line naming the file and the entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xmbench.data.base import Suite
from xmbench.data.untrusted import MAX_FILE_BYTES, field, parse_json, refuse_duplicates
from xmbench.errors import InputError
from xmbench.textfile import read_text_bounded

#: suites whose images have COCO ids (a Photo's key), which COCO results files use
COCO_ID_SUITES = ("coco2014", "coco2017", "coco-karpathy")
_FIX = "write one caption string per image id"


def image_ids(suite: Suite, split: str, indices: list[int]) -> tuple[str, list[int]]:
    """(what an id is, the id of each evaluation image): COCO ids on COCO suites, else sample indices.

    Example:
        >>> from xmbench.data import get_suite
        >>> image_ids(get_suite("shapes"), "test", [0, 5])
        ('sample index', [0, 5])
    """
    if suite.name in COCO_ID_SUITES:
        return "COCO id", [int(key) for key in suite.image_keys(split, indices)]
    return "sample index", list(indices)


def _entries(path: Path, text: str) -> tuple[str, list[tuple[str, Any, Any]]]:
    """(the file's format, (where, id, caption) of every entry in file order)."""
    if path.suffix.lower() == ".jsonl":
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                where = f"{path}:{n}"
                entry = parse_json(line, where, _FIX)
                out.append((where, field(entry, "index", int, where, _FIX), entry.get("caption")))
        return "JSON lines by sample index", out
    data = parse_json(text, str(path), _FIX)
    if isinstance(data, dict):
        return "JSON object by sample index", [
            (f"{path}: entry {k!r}", _index_key(k, path), v) for k, v in data.items()
        ]
    if isinstance(data, list):
        return "COCO results", [
            (f"{path}: entry {n}", field(e, "image_id", int, f"{path}: entry {n}", _FIX), e.get("caption"))
            for n, e in enumerate(data)
        ]
    raise InputError(f"{path}: holds neither a COCO results list nor an object keyed by sample index; {_FIX}")


def _index_key(key: str, path: Path) -> int:
    if not key.isdigit():
        raise InputError(f"{path}: key {key!r} is not a sample index; key captions by the suite's sample index")
    return int(key)


def read_predictions(path: str | Path, ids: list[int], what: str = "sample index") -> tuple[list[str], str]:
    """(the caption of each evaluation image (`ids`: its COCO id or sample index), the file's format).

    Example:
        >>> import json, tempfile
        >>> p = Path(tempfile.mkdtemp()) / "results.json"
        >>> _ = p.write_text(json.dumps([{"image_id": 7, "caption": "a dog"}, {"image_id": 3, "caption": "a cat"}]))
        >>> read_predictions(p, [3, 7])
        (['a cat', 'a dog'], 'COCO results')
        >>> read_predictions(p, [3, 8])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: ...results.json: no caption for the image of sample index 8 (evaluation image 1); ...
    """
    path = Path(path)
    fmt, entries = _entries(path, read_text_bounded(path, MAX_FILE_BYTES, "predictions file"))
    refuse_duplicates((key for _, key, _ in entries), str(path), "image id", "keep one caption per image")
    captions: dict[int, str] = {}
    for where, key, caption in entries:
        if not isinstance(caption, str):
            raise InputError(f"{where}: caption must be a string, not {type(caption).__name__}; {_FIX}")
        captions[key] = caption
    for k, key in enumerate(ids):
        if key not in captions:
            raise InputError(
                f"{path}: no caption for the image of {what} {key} (evaluation image {k}); caption every "
                f"evaluation image ({len(ids)})"
            )
    return [captions[key] for key in ids], fmt


class StoredCaptioner:
    """A "captioner" serving captions read from a file, by the suite's sample index of each image.

    The runner asks it for `captions_for(indices)` instead of `caption`, so chunking, the caption cache,
    sharding and every metric work as for a captioner run in-process.
    """

    def __init__(self, indices: list[int], captions: list[str]) -> None:
        self._by_index = dict(zip(indices, captions, strict=True))

    def captions_for(self, indices: list[int]) -> list[str]:
        """The stored caption of each sample index.

        Example:
            >>> StoredCaptioner([0, 5], ["a cat", "a dog"]).captions_for([5])
            ['a dog']
        """
        return [self._by_index[i] for i in indices]


__all__ = ["COCO_ID_SUITES", "StoredCaptioner", "image_ids", "read_predictions"]
