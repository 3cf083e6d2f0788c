"""Writing leaderboard files (Markdown + CSV) atomically, under a file lock."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from xmbench.atomic import atomic_write_text
from xmbench.results.boards import boards_csv, boards_markdown, group_boards
from xmbench.results.io import expand_record_paths, read_record
from xmbench.results.leaderboard import leaderboard_frame, to_csv, to_markdown
from xmbench.results.lock import file_lock
from xmbench.results.schema import protocol_key
from xmbench.results.skills import skills_csv, skills_markdown


def csv_path_for(markdown_path: str | os.PathLike) -> Path:
    """The CSV written beside a Markdown leaderboard: same name, .csv."""
    return Path(markdown_path).with_suffix(".csv")


def write_leaderboard(
    records: list[dict[str, Any]],
    out: str | os.PathLike,
    title: str | None = None,
    rank_by: str | None = None,
    sources: list[str] | None = None,
    labels: list[str] | None = None,
) -> tuple[Path, Path]:
    """Write `out` (Markdown) and its CSV twin from `records`, holding the lock of `out`: one table per
    suite, task and protocol (xmbench.results.boards), rows of a model several runs hold labelled by run."""
    boards = group_boards(records, rank_by=rank_by, sources=sources, labels=labels)
    with file_lock(out):
        md = atomic_write_text(out, boards_markdown(boards, title))
        csv = atomic_write_text(csv_path_for(out), boards_csv(boards))
    return md, csv


def write_skills_leaderboard(
    records: list[dict[str, Any]],
    out: str | os.PathLike,
    title: str | None = None,
    sources: list[str] | None = None,
    labels: list[str] | None = None,
) -> tuple[Path, Path]:
    """Write the skills board (`xmbench.results.skills`: models × skills and their mean) of `records` to
    `out` (Markdown) and its CSV twin, holding the lock of `out`; InputError when no record has skills."""
    boards = group_boards(records, sources=sources, labels=labels)
    markdown, table = skills_markdown(boards, title), skills_csv(boards)
    with file_lock(out):
        md = atomic_write_text(out, markdown)
        csv = atomic_write_text(csv_path_for(out), table)
    return md, csv


def update_leaderboard(
    out: str | os.PathLike,
    results_dir: str | os.PathLike,
    like: dict[str, Any],
    title: str | None = None,
    rank_by: str | None = None,
) -> tuple[Path, Path, int]:
    """Rebuild `out` from every record in `results_dir` sharing `like`'s suite and protocol.

    Reading the folder and writing the files happen under one lock, so two runs updating the same
    leaderboard at once both end up in it. Returns the two paths and the number of rows.
    """
    key = protocol_key(like)
    with file_lock(out):
        paths = expand_record_paths([results_dir])
        pairs = [(str(p), r) for p in paths for r in [read_record(p)] if protocol_key(r) == key]
        frame = leaderboard_frame([r for _, r in pairs], rank_by=rank_by, sources=[s for s, _ in pairs])
        md = atomic_write_text(out, to_markdown(frame, title))
        csv = atomic_write_text(csv_path_for(out), to_csv(frame))
    return md, csv, len(pairs)
