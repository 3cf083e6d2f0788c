"""Leaderboards of mixed records: one table per (suite, task, protocol), each under its own heading.

`xmbench leaderboard` and `xmbench report` take records of several suites, tasks (text -> image,
image -> text) or protocols at once: `group_boards` splits them into boards in the order they first
appear, each with its run-labelled records (xmbench.results.runs) and its leaderboard frame. With one
board the Markdown and CSV are exactly those of `to_markdown` and `to_csv`; with several, the Markdown
has a `##` section per board and the CSV stacks the boards' rows behind `suite`, `task` and
`protocol_key` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from xmbench.errors import InputError, unknown_name
from xmbench.results.leaderboard import leaderboard_frame, markdown_text, metric_names, to_csv, to_markdown
from xmbench.results.runs import label_runs
from xmbench.results.schema import protocol_key, record_task

TASK_NAMES = {"text-to-image": "text → image", "image-to-text": "image → text"}


@dataclass(frozen=True)
class Board:
    """One leaderboard table: the records of one suite, task and protocol, and their frame."""

    records: list[dict[str, Any]]  # run-labelled: each row's name is unique on the board
    frame: pd.DataFrame

    @property
    def heading(self) -> str:
        """`<suite>, <task>, protocol <key>`, e.g. "shapes, text → image, protocol f6a3ab55a8ba"."""
        attrs = self.frame.attrs
        return f"{attrs['suite']}, {TASK_NAMES[attrs['task']]}, protocol {attrs['protocol_key']}"


def group_boards(
    records: list[dict[str, Any]],
    rank_by: str | None = None,
    sources: list[str] | None = None,
    labels: list[str] | None = None,
) -> list[Board]:
    """The boards of `records`: one per (suite, task, protocol), in the order the records first show them.

    Args:
        records: result records, of any suites, tasks and protocols.
        rank_by: the metric to rank by on the boards that hold it (the others rank by their default);
            an InputError when no board holds it.
        sources: where each record was read from (names the runs of a model several runs hold).
        labels: one run label per record (`--label`), instead of the folders of `sources`.

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> from xmbench.results import read_records
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> sorted(board.heading for board in group_boards(read_records([folder])))
        ['shapes, image → text, protocol ...', 'shapes, text → image, protocol ...']
    """
    if not records:
        raise InputError("no result records to compare")
    sources = sources or [r["model"]["name"] for r in records]
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, r in enumerate(records):
        groups.setdefault((str(r["suite"].get("suite")), record_task(r), protocol_key(r)), []).append(i)
    if rank_by is not None and rank_by not in metric_names(records):
        raise unknown_name("metric to rank by", rank_by, metric_names(records))
    boards = []
    for members in groups.values():
        own_sources, own_labels = [sources[i] for i in members], _pick(labels, members)
        group = label_runs([records[i] for i in members], own_sources, own_labels)
        own_rank = rank_by if rank_by in metric_names(group) else None
        boards.append(Board(group, leaderboard_frame(group, own_rank, own_sources, own_labels)))
    return boards


def _pick(labels: list[str] | None, members: list[int]) -> list[str] | None:
    return None if labels is None else [labels[i] for i in members]


def boards_markdown(boards: list[Board], title: str | None = None) -> str:
    """The boards as one Markdown document: `to_markdown` of a lone board; else a `##` section per board."""
    if len(boards) == 1:
        return to_markdown(boards[0].frame, title)
    lines = [f"# {markdown_text(title)}", ""] if title else []
    for board in boards:
        lines += [f"## {markdown_text(board.heading)}", "", to_markdown(board.frame)]
    return "\n".join(lines)


def boards_csv(boards: list[Board]) -> str:
    """The boards as one CSV: `to_csv` of a lone board; else every row behind suite, task, protocol_key."""
    if len(boards) == 1:
        return to_csv(boards[0].frame)
    frames = []
    for board in boards:
        attrs = board.frame.attrs
        columns = {"suite": attrs["suite"], "task": attrs["task"], "protocol_key": attrs["protocol_key"]}
        keys = pd.DataFrame(columns, index=board.frame.index)
        frames.append(pd.concat([keys, board.frame], axis=1))
    return to_csv(pd.concat(frames, ignore_index=True))
