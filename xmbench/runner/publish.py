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


#: what an image -> text run's leaderboard and reports add to their names: shapes-captioning.md beside shapes.md
CAPTIONING_SUFFIX = "-captioning"


def _suffixed(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.stem}{suffix}{path.suffix}")


def publish(
    suite_name: str,
    paths: RunPaths,
    records: list[dict[str, Any]],
    record_paths: list[Path],
    reused: list[str],
    rank_by: str | None,
    t_start: float,
    task: str = "text-to-image",
) -> RunSummary:
    """Write the leaderboard (re-reading the results folder under its lock) and the HTML and Markdown reports.

    Args:
        suite_name: the suite's name, in titles.
        records, record_paths, reused: this run's records, where they are, and the models reused from the cache.
        rank_by: the metric the leaderboard ranks by (None: its default).
        t_start: time.perf_counter() at the run's start, for RunSummary.seconds.
        task: "image-to-text" writes `<leaderboard>-captioning.md` and `report-captioning.html` instead.
    """
    suffix = CAPTIONING_SUFFIX if task == "image-to-text" else ""
    name = f"{suite_name} captioning" if suffix else suite_name
    md, csv, _ = update_leaderboard(
        _suffixed(paths.leaderboard, suffix), paths.results, records[0], title=f"{name} leaderboard", rank_by=rank_by
    )
    report_path = _suffixed(paths.report, suffix)
    report = atomic_write_text(report_path, render_html(records, title=f"xmbench report: {name}", rank_by=rank_by))
    report_md = atomic_write_text(
        report_path.with_suffix(".md"), render_markdown(records, title=f"xmbench: {name}", rank_by=rank_by)
    )
    return RunSummary(records, record_paths, md, csv, report, report_md, time.perf_counter() - t_start, reused)
