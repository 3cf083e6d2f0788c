"""Rows of one model from several runs (a branch against main): labelled by run instead of refused.

Every record belongs to a run: the label given with it (`xmbench leaderboard/report --label`, one per
input), else the folder it was read from. Where records of one model, or of one seed group
(xmbench.results.seeds), come from several runs, each of those rows is named `<model> (<run>)` and
records `model.run`; rows of a model only one run holds keep their name. Without labels a run is named
by the shortest part of its folder path that tells it from the other runs of that model (`main`,
`branch`), or by its file name when two of the records share a folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xmbench.results.seeds import seed_group


def run_names(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Short names telling the runs of the record files `paths` apart: their folders', else their files'.

    Parts all the paths end with are dropped, then as few trailing parts are kept as tell them apart.

    Example:
        >>> run_names(["main/xmbench-out/results/a.json", "branch/xmbench-out/results/a.json"])
        ['main', 'branch']
        >>> run_names(["results/a--shapes.json", "results/a-old--shapes.json"])
        ['a--shapes', 'a-old--shapes']
    """
    files = [Path(p).resolve() for p in paths]
    folders = [f.parent for f in files]
    if len(set(folders)) == len(folders):
        return _shortest_distinct([f.parts for f in folders])
    return _shortest_distinct([f.with_suffix("").parts for f in files])


def _shortest_distinct(parts: list[tuple[str, ...]]) -> list[str]:
    common = 0
    while all(len(p) > common for p in parts) and len({p[-1 - common] for p in parts}) == 1:
        common += 1
    trimmed = [p[: len(p) - common] for p in parts]
    for k in range(1, max(len(p) for p in trimmed) + 1):
        names = ["/".join(p[-k:]) for p in trimmed]
        if len(set(names)) == len(names):
            return names
    return ["/".join(p[-1:]) for p in parts]  # the same path twice: nothing tells them apart


def label_runs(
    records: list[dict[str, Any]], sources: list[str], labels: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """`records` with the rows of each model that several runs hold renamed `<model> (<run>)`.

    Records are copied where renamed, never changed; records of a model from one run keep their name.

    Args:
        records: result records of one suite, task and protocol.
        sources: where each record was read from (its file); names the runs when `labels` is None.
        labels: one run label per record (None: the runs are the records' folders).

    Example:
        >>> rec = lambda name: {"model": {"name": name}}
        >>> out = label_runs([rec("a"), rec("a"), rec("b")], ["x.json"] * 3, labels=["main", "branch", "main"])
        >>> [r["model"]["name"] for r in out]
        ['a (main)', 'a (branch)', 'b']
    """
    keys = list(labels) if labels else [_run_key(r, s) for r, s in zip(records, sources, strict=True)]
    rows: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        rows.setdefault(seed_group(record) or record["model"]["name"], []).append(i)
    out = list(records)
    for members in rows.values():
        runs: dict[str, str] = {}  # run key -> the source of its first record
        for i in members:
            runs.setdefault(keys[i], sources[i])
        if len(runs) < 2:
            continue
        names = dict(zip(runs, list(runs) if labels else run_names(list(runs.values())), strict=True))
        for i in members:
            out[i] = _renamed(records[i], names[keys[i]])
    return out


def _run_key(record: dict[str, Any], source: str) -> str:
    """A seed member's folder (its seeds share a run), another record's file."""
    path = Path(source).resolve()
    return str(path.parent if seed_group(record) else path)


def _renamed(record: dict[str, Any], run: str) -> dict[str, Any]:
    model = {**record["model"], "name": f"{record['model']['name']} ({run})", "run": run}
    if seed_group(record):
        model["seed_group"] = f"{seed_group(record)} ({run})"
    return {**record, "model": model}
