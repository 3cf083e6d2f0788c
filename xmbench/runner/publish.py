"""Publishing a run: where it writes, the leaderboard (updated from the results folder) and the reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xmbench.atomic import atomic_write_text
from xmbench.report import render_html, render_markdown
from xmbench.results import update_leaderboard


@dataclass(frozen=True)
class RunPaths:
    """Where a run writes: result records, leaderboard (Markdown; CSV beside it), report, cache."""

    out: Path
    results: Path
    leaderboard: Path
    report: Path
    cache: Path

    @classmethod
    def under(
        cls, out: str | Path, suite: str, results: str | Path | None = None, leaderboard: str | Path | None = None
    ) -> RunPaths:
        """The default layout under `out`: results/, leaderboards/<suite>.md, report.html, cache/."""
        out = Path(out)
        name = suite.split(":")[0]
        return cls(
            out,
            Path(results) if results else out / "results",
            Path(leaderboard) if leaderboard else out / "leaderboards" / f"{name}.md",
            out / "report.html",
            out / "cache",
        )


@dataclass
class RunSummary:
    """What a run wrote: its records (in config order) and their paths, leaderboard, reports, seconds."""

    records: list[dict[str, Any]]
    record_paths: list[Path]
    leaderboard: Path
    leaderboard_csv: Path
    report: Path
    report_md: Path
    seconds: float
    reused: list[str] = field(default_factory=list)


def publish(
    suite_name: str,
    paths: RunPaths,
    records: list[dict[str, Any]],
    record_paths: list[Path],
    reused: list[str],
    rank_by: str | None,
    t_start: float,
) -> RunSummary:
    """Write the leaderboard (re-reading the results folder under its lock) and the HTML and Markdown reports.

    Args:
        suite_name: the suite's name, in titles.
        records, record_paths, reused: this run's records, where they are, and the models reused from the cache.
        rank_by: the metric the leaderboard ranks by (None: its default).
        t_start: time.perf_counter() at the run's start, for RunSummary.seconds.
    """
    md, csv, _ = update_leaderboard(
        paths.leaderboard, paths.results, records[0], title=f"{suite_name} leaderboard", rank_by=rank_by
    )
    report = atomic_write_text(
        paths.report, render_html(records, title=f"xmbench report: {suite_name}", rank_by=rank_by)
    )
    report_md = atomic_write_text(
        paths.report.with_suffix(".md"), render_markdown(records, title=f"xmbench: {suite_name}", rank_by=rank_by)
    )
    return RunSummary(records, record_paths, md, csv, report, report_md, time.perf_counter() - t_start, reused)
