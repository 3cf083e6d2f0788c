"""`xmbench leaderboard`, `xmbench report` and `xmbench check`: everything read from result records."""

from __future__ import annotations

import argparse
from pathlib import Path


def _read_inputs(args: argparse.Namespace) -> tuple[list[dict], list[str], list[str] | None]:
    """(records, their files, their run labels or None) of the RESULTS inputs, each input's --label on its records."""
    from xmbench.results import read_record
    from xmbench.results.io import expand_record_paths

    labels = run_labels(args.label, args.results)
    paths = [expand_record_paths([item]) for item in args.results]
    records = [read_record(p) for group in paths for p in group]
    sources = [str(p) for group in paths for p in group]
    per_record = None if labels is None else [label for label, group in zip(labels, paths, strict=True) for _ in group]
    return records, sources, per_record


def run_labels(labels: list[str] | None, inputs: list[str]) -> list[str] | None:
    """The --label of each RESULTS input (None without --label); InputError unless one distinct label per input.

    Example:
        >>> run_labels(["main", "branch"], ["main/results", "results"])
        ['main', 'branch']
        >>> run_labels(["main"], ["main/results", "results"])
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: got 1 --label for 2 RESULTS inputs; give one --label per input, in the same order
    """
    from xmbench.errors import InputError

    if labels is None:
        return None
    if len(labels) != len(inputs):
        raise InputError(
            f"got {len(labels)} --label for {len(inputs)} RESULTS inputs; give one --label per input, in the same order"
        )
    for label in labels:
        if not label.strip():
            raise InputError("--label is empty; give each RESULTS input a name, e.g. --label main")
        if labels.count(label) > 1:
            raise InputError(f"--label {label!r} is given twice; give each RESULTS input its own label")
    return labels


def _suites(records: list[dict]) -> str:
    return ", ".join(dict.fromkeys(str(r["suite"]["suite"]) for r in records))


def _leaderboard(args: argparse.Namespace) -> int:
    from xmbench.errors import InputError
    from xmbench.outputs import MARKDOWN, check_distinct, check_output_file
    from xmbench.results.publish import csv_path_for, write_leaderboard, write_skills_leaderboard

    check_output_file(args.out, "--out", MARKDOWN)
    check_output_file(csv_path_for(args.out), "the CSV beside --out")
    check_distinct({"--out": args.out, "its CSV": csv_path_for(args.out)})
    if args.skills and args.rank_by:
        raise InputError("--skills ranks models by their mean over skills; drop --rank-by")
    records, sources, labels = _read_inputs(args)
    if args.skills:
        title = args.title or f"{_suites(records)} skills"
        md, csv = write_skills_leaderboard(records, args.out, title=title, sources=sources, labels=labels)
    else:
        md, csv = write_leaderboard(
            records,
            args.out,
            title=args.title or f"{_suites(records)} leaderboard",
            rank_by=args.rank_by,
            sources=sources,
            labels=labels,
        )
    print(f"wrote {md} and {csv} ({len(records)} {'records' if args.skills else 'rows'})")
    return 0


def _report(args: argparse.Namespace) -> int:
    from xmbench.atomic import atomic_write_text
    from xmbench.outputs import HTML, MARKDOWN, check_distinct, check_output_file
    from xmbench.report import render_html, render_markdown

    check_output_file(args.out, "--out", HTML)
    markdown = args.markdown if args.markdown is not None else Path(args.out).with_suffix(".md")
    check_output_file(markdown, "--markdown", MARKDOWN)
    check_distinct({"--out": args.out, "--markdown": markdown})
    records, sources, labels = _read_inputs(args)
    title = args.title or f"xmbench report: {_suites(records)}"
    options = {"title": title, "rank_by": args.rank_by, "sources": sources, "labels": labels}
    page = render_html(records, **options)
    summary = render_markdown(records, **options)
    out = atomic_write_text(args.out, page)
    md = atomic_write_text(markdown, summary)
    print(f"wrote {out} and {md}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from xmbench.results import check_records, format_checks, parse_tolerances, read_record
    from xmbench.results.check import check_alpha

    alpha = check_alpha(args.alpha)
    tolerances = parse_tolerances(args.tolerance)
    new, baseline = read_record(args.new), read_record(args.baseline)
    checks = check_records(new, baseline, tolerances, alpha=alpha, sources=(args.new, args.baseline))
    print(format_checks(checks, new, baseline, alpha))
    return 1 if any(c.failed for c in checks) else 0


def _results(args: argparse.Namespace) -> int:
    from xmbench.results import read_record
    from xmbench.results.io import expand_record_paths

    paths = expand_record_paths(args.results)
    rows = [record_row(read_record(p), p) for p in paths]
    header = ["model", "suite", "task", "protocol", "headline metrics", "date", "file"]
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(header[:-2])]
    for row in [header, *rows]:
        cells = [f"{c:{w}s}" for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-2], row[-1]]))
    return 0


def record_row(record: dict, path: Path) -> list[str]:
    """model, suite, task, protocol key, headline metrics, date, file name of one record."""
    from xmbench.results.leaderboard import format_value, headline_metrics, metric_names
    from xmbench.results.schema import protocol_key

    metrics = record["metrics"]
    shown = [m for m in headline_metrics(metric_names([record])) if metrics[m]["value"] is not None][:3]
    run = record.get("run") if isinstance(record.get("run"), dict) else {}
    return [
        record["model"]["name"],
        str(record["suite"]["suite"]),
        str(record.get("task", "text-to-image")),
        protocol_key(record),
        ", ".join(f"{m} {format_value(float(metrics[m]['value']))}" for m in shown),
        str(run.get("created", "?"))[:16].replace("T", " "),
        path.name,
    ]


def _add_label(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--label",
        action="append",
        default=None,
        metavar="RUN",
        help="name of the run of each RESULTS input, once per input in order (e.g. --label main --label branch); "
        "a model several runs hold gets a row per run, MODEL (RUN) (default RUN: the records' folders)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "results",
        help="list result records: model, suite, task, protocol key, headline metrics, date",
    )
    p.add_argument(
        "results",
        nargs="*",
        default=["xmbench-out/results"],
        metavar="RESULTS",
        help="result JSON files or folders of them (default xmbench-out/results)",
    )
    p.set_defaults(func=_results)

    p = sub.add_parser(
        "leaderboard",
        help="write a Markdown + CSV leaderboard from result records (a table per suite, task and protocol)",
    )
    p.add_argument("results", nargs="+", metavar="RESULTS", help="result JSON files or folders of them")
    p.add_argument("--out", required=True, help="Markdown file to write (the CSV goes beside it)")
    p.add_argument("--rank-by", default=None, help="metric to rank by (default: attribute_accuracy or fd_*)")
    p.add_argument(
        "--skills",
        action="store_true",
        help="write the skills board instead: one column per skill (records whose scene records name skills) "
        "and their mean, models as rows",
    )
    p.add_argument("--title", default=None)
    _add_label(p)
    p.set_defaults(func=_leaderboard)

    p = sub.add_parser("report", help="write a self-contained HTML report (and a Markdown summary)")
    p.add_argument("results", nargs="+", metavar="RESULTS", help="result JSON files or folders of them")
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument("--markdown", default=None, help="Markdown summary to write (default: OUT with .md)")
    p.add_argument("--rank-by", default=None)
    p.add_argument("--title", default=None)
    _add_label(p)
    p.set_defaults(func=_report)

    p = sub.add_parser(
        "check",
        help="regression gate: exit 1 if NEW is significantly worse than the baseline",
        description="Compare NEW with a baseline record metric by metric; exit 1 when a metric is "
        "worse beyond its tolerance and the difference is significant, else 0. A metric fails when "
        "p(within), the one-sided probability that its worsening is within the tolerance, is below "
        "--alpha: from paired bootstrap replicates where both records hold them, else from a normal "
        "approximation with standard errors read off the recorded intervals.",
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
