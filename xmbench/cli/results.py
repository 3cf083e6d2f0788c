"""`xmbench leaderboard`, `xmbench report` and `xmbench check`: everything read from result records."""

from __future__ import annotations

import argparse
from pathlib import Path


def _leaderboard(args: argparse.Namespace) -> int:
    from xmbench.results import read_record
    from xmbench.results.io import expand_record_paths
    from xmbench.results.publish import write_leaderboard

    paths = expand_record_paths(args.results)
    records = [read_record(p) for p in paths]
    md, csv = write_leaderboard(
        records,
        args.out,
        title=args.title or f"{records[0]['suite']['suite']} leaderboard",
        rank_by=args.rank_by,
        sources=[str(p) for p in paths],
    )
    print(f"wrote {md} and {csv} ({len(records)} rows)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from xmbench.atomic import atomic_write_text
    from xmbench.report import render_html, render_markdown
    from xmbench.results import read_record
    from xmbench.results.io import expand_record_paths

    paths = expand_record_paths(args.results)
    records = [read_record(p) for p in paths]
    sources = [str(p) for p in paths]
    title = args.title or f"xmbench report: {records[0]['suite']['suite']}"
    page = render_html(records, title=title, rank_by=args.rank_by, sources=sources)
    summary = render_markdown(records, title=title, rank_by=args.rank_by, sources=sources)
    out = atomic_write_text(args.out, page)
    md = atomic_write_text(Path(args.markdown) if args.markdown else Path(args.out).with_suffix(".md"), summary)
    print(f"wrote {out} and {md}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from xmbench.results import check_records, format_checks, parse_tolerances, read_record

    tolerances = parse_tolerances(args.tolerance)
    new, baseline = read_record(args.new), read_record(args.baseline)
    checks = check_records(new, baseline, tolerances, alpha=args.alpha, sources=(args.new, args.baseline))
    print(format_checks(checks, new, baseline))
    return 1 if any(c.failed for c in checks) else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="write a Markdown + CSV leaderboard from result records")
    p.add_argument("results", nargs="+", metavar="RESULTS", help="result JSON files or folders of them")
    p.add_argument("--out", required=True, help="Markdown file to write (the CSV goes beside it)")
    p.add_argument("--rank-by", default=None, help="metric to rank by (default: attribute_accuracy or fd_*)")
    p.add_argument("--title", default=None)
    p.set_defaults(func=_leaderboard)

    p = sub.add_parser("report", help="write a self-contained HTML report (and a Markdown summary)")
    p.add_argument("results", nargs="+", metavar="RESULTS", help="result JSON files or folders of them")
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument("--markdown", default=None, help="Markdown summary to write (default: OUT with .md)")
    p.add_argument("--rank-by", default=None)
    p.add_argument("--title", default=None)
    p.set_defaults(func=_report)

    p = sub.add_parser(
        "check",
        help="regression gate: exit 1 if NEW is significantly worse than the baseline",
        description="Compare NEW with a baseline record metric by metric; exit 1 when a metric is "
        "worse beyond its tolerance and the difference is significant, else 0.",
    )
    p.add_argument("new", metavar="NEW.json")
    p.add_argument("--baseline", required=True, metavar="OLD.json")
    p.add_argument(
        "--tolerance",
        action="append",
        default=[],
        metavar="METRIC=5%",
        help="allowed worsening, relative (fd_shapes=5%%) or absolute (attribute_accuracy=0.01); repeatable",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the one-sided test (default 0.05)")
    p.set_defaults(func=_check)
