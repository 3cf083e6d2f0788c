"""Reading and writing result records: atomic writes, validated reads."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xmbench.atomic import atomic_write_json
from xmbench.errors import InputError
from xmbench.results.schema import protocol_key, validate_record
from xmbench.textfile import read_text_bounded

#: a record holds metrics, bootstrap replicates and a small PNG strip: a few MB at most
MAX_RECORD_BYTES = 256 << 20


def record_filename(record: dict[str, Any]) -> str:
    """`<model>--<suite>--<protocol key>.json`: one file per (model, suite, protocol).

    Names that are not plain file names get a short hash of the full name, so two models never map
    to one file.

    Example:
        >>> rec = {"model": {"name": "my model"}, "suite": {"suite": "shapes"}, "protocol": {}}
        >>> record_filename(rec).split("--")[0]
        'my_model-76eeb051'
    """
    model = _slug(record["model"]["name"])
    suite = re.sub(r"[^A-Za-z0-9._-]+", "_", str(record["suite"]["suite"])).strip("_.") or "suite"
    return f"{model}--{suite}--{protocol_key(record)}.json"


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_.") or "model"
    if slug == text and "--" not in text:
        return slug
    return f"{slug.replace('--', '-')}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def write_record(path: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Validate `record` and write it atomically to `path` (indented, key-sorted JSON)."""
    validate_record(record, str(path))
    return atomic_write_json(path, record)


def read_record(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate one result record (the JSON `xmbench run` writes).

    Args:
        path: the record's file.

    Returns:
        The record as a dict (fields in docs/results.md).

    Raises:
        InputError: one line for a missing, corrupt or foreign file.

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> record = read_record(next(folder.glob("dfgan--*.json")))
        >>> record["model"]["name"], record["suite"]["suite"], record["protocol"]["samples"]
        ('dfgan', 'shapes', 2000)
        >>> sorted(record["metrics"]["fd_shapes"])[:4]
        ['bootstrap', 'ci_high', 'ci_low', 'confidence']
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"result record {path} does not exist; pass a JSON file written by `xmbench run`")
    text = read_text_bounded(path, MAX_RECORD_BYTES, "result record")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"corrupt result record {path}: not valid JSON at line {e.lineno} column {e.colno} "
            f"({e.msg}); re-run `xmbench run` to rewrite it"
        ) from None
    return validate_record(obj, str(path))


def expand_record_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, folders expanded to the *.json files inside them (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.glob("*.json") if not q.name.startswith("."))
            if not found:
                raise InputError(f"folder {p} holds no result records (*.json)")
            out.extend(found)
        else:
            out.append(p)
    if not out:
        raise InputError("no result records given; pass JSON files written by `xmbench run` or their folder")
    return out


def read_records(paths: Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    """Read and validate every record in `paths` (files, or folders whose *.json files are read in name order).

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> names = {r["model"]["name"] for r in read_records([folder])}
        >>> {"real", "retrieval", "noise"} <= names
        True
    """
    return [read_record(p) for p in expand_record_paths(paths)]
