"""Leaderboards and reports of mixed inputs: one model from several runs (labelled rows), several suites,
tasks and protocols (one table per group), through the API and the command line."""

from __future__ import annotations

import html
import io

import pandas as pd
import pytest
from record_factory import make_record

from xmbench.cli import main
from xmbench.errors import InputError
from xmbench.report import render_html, render_markdown
from xmbench.results import leaderboard_frame, record_filename, to_csv, to_markdown, write_record
from xmbench.results.boards import boards_csv, boards_markdown, group_boards
from xmbench.results.runs import run_names


def _run(folder, gan_accuracy, floor=0.0, ceiling=1.0, extra=()):
    """A run's results folder: ceiling, floor, gan-a (and `extra` records) as `xmbench run` writes them."""
    records = [
        make_record("real", {"fd_shapes": 1.0, "attribute_accuracy": ceiling}, role="ceiling", seed=1),
        make_record("noise", {"fd_shapes": 400.0, "attribute_accuracy": floor}, role="floor", seed=2),
        make_record("gan-a", {"fd_shapes": 20.0, "attribute_accuracy": gan_accuracy}, seed=3),
        *extra,
    ]
    folder.mkdir(parents=True)
    for r in records:
        write_record(folder / record_filename(r), r)
    return folder


def _captioning(name, role=None):
    record = make_record(name, {"caption_correctness": 0.5}, spread=0.01, role=role)
    record["task"] = record["protocol"]["task"] = "image-to-text"
    return record


def test_run_names_tell_folders_then_files_apart(tmp_path):
    assert run_names([tmp_path / "main/out/results/a.json", tmp_path / "pr/out/results/a.json"]) == ["main", "pr"]
    assert run_names([tmp_path / "x/main/r/a.json", tmp_path / "y/main/r/a.json"]) == ["x", "y"]
    assert run_names([tmp_path / "r/a.json", tmp_path / "main/r/a.json"]) == [tmp_path.name, "main"]
    files = [tmp_path / "r/a--1.json", tmp_path / "r/a--2.json", tmp_path / "s/a.json"]  # r holds two
    assert run_names(files) == ["a--1", "a--2", "a"]


def test_one_model_from_two_folders_gets_a_row_per_run(tmp_path, capsys):
    main_dir = _run(tmp_path / "main" / "results", 0.5)
    gan_b = make_record("gan-b", {"fd_shapes": 30.0, "attribute_accuracy": 0.3}, seed=4)
    branch_dir = _run(tmp_path / "branch" / "results", 0.8, floor=0.2, extra=[gan_b])
    out = tmp_path / "board.md"
    assert (
        main(["leaderboard", str(main_dir), str(branch_dir), "--out", str(out), "--rank-by", "attribute_accuracy"]) == 0
    )
    md = out.read_text()
    assert "| 1 | **gan-a (branch)** |" in md and "| 2 | gan-a (main) |" in md and "| 3 | gan-b |" in md
    assert "| ceiling | *real (main)* |" in md and "| floor | *noise (branch)* |" in md
    frame = pd.read_csv(out.with_suffix(".csv"))
    assert sorted(frame["model"]) == sorted(
        ["real (main)", "real (branch)", "noise (main)", "noise (branch)", "gan-a (main)", "gan-a (branch)", "gan-b"]
    )
    # each row sits between the floor and the ceiling of its own run
    positions = dict(zip(frame["model"], frame["position"], strict=True))
    assert positions["gan-a (main)"] == pytest.approx(0.5) and positions["gan-a (branch)"] == pytest.approx(0.75)


def test_labels_name_the_runs_of_each_input(tmp_path, capsys):
    main_dir, branch_dir = _run(tmp_path / "a" / "results", 0.5), _run(tmp_path / "b" / "results", 0.8)
    out = tmp_path / "report.html"
    argv = ["report", str(main_dir), str(branch_dir), "--out", str(out), "--label", "main", "--label", "<script>x"]
    assert main(argv) == 0
    page, md = out.read_text(), out.with_suffix(".md").read_text()
    assert "gan-a (main)" in page and html.escape("gan-a (<script>x)") in page and "<script>" not in page
    assert "gan-a (&lt;script&gt;x)" in md and "<script>" not in md
    assert main([*argv[:-2]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "got 1 --label for 2 RESULTS inputs; give one --label per input" in err
    assert main([*argv[:-1], "main"]) == 2
    assert "--label 'main' is given twice" in capsys.readouterr().err


def test_a_run_label_is_escaped_in_every_report_section():
    records = [make_record("gan-a", seed=1), make_record("gan-a", seed=2)]
    page = render_html(records, sources=["x.json", "y.json"], labels=["<b>one", '<script>alert("x")</script>'])
    assert "<script>" not in page and "<b>" not in page
    assert page.count(html.escape('gan-a (<script>alert("x")</script>)')) >= 2  # leaderboard and provenance


def test_seed_groups_of_two_runs_stay_apart(tmp_path):
    records, sources = [], []
    for run, base in (("main", 0.4), ("branch", 0.6)):
        for seed in (0, 1):
            r = make_record(f"a-s{seed}", {"attribute_accuracy": base + seed / 100}, seed=seed)
            r["model"].update(seed_group="a", training_seed=seed)
            records.append(r)
            sources.append(str(tmp_path / run / "results" / f"a-s{seed}.json"))
    frame = leaderboard_frame(records, sources=sources)
    assert list(frame["model"]) == ["a (branch)", "a (main)"] and list(frame["seeds"]) == [2, 2]
    assert frame["attribute_accuracy"].tolist() == pytest.approx([0.605, 0.405])


def test_a_model_twice_in_one_run_is_still_refused():
    with pytest.raises(InputError, match="two records for model 'a' .* nothing tells their runs apart") as e:
        leaderboard_frame([make_record("a"), make_record("a")], labels=["main", "main"])
    assert "give each input its own --label" in str(e.value) and "\n" not in str(e.value)


def test_mixed_suites_tasks_and_protocols_make_one_table_each():
    records = [
        make_record("gan-a"),
        make_record("gan-a", suite="cub"),
        _captioning("captioner"),
        make_record("gan-b", samples=64),
        make_record("gan-b"),
        _captioning("real", role="ceiling"),
    ]
    boards = group_boards(records, rank_by="caption_correctness")
    assert [len(b.records) for b in boards] == [2, 1, 2, 1]
    assert [b.heading.split(", protocol")[0] for b in boards] == [
        "shapes, text → image",
        "cub, text → image",
        "shapes, image → text",
        "shapes, text → image",
    ]
    assert [b.frame.attrs["rank_by"] for b in boards] == ["attribute_accuracy"] * 2 + ["caption_correctness"] + [
        "attribute_accuracy"
    ]
    md = boards_markdown(boards, title="all")
    assert md.startswith("# all\n") and md.count("\n## ") == 4 and md.count("Protocol: ") == 4
    assert "## cub, text → image, protocol " in md and "## shapes, image → text, protocol " in md
    csv = pd.read_csv(io.StringIO(boards_csv(boards)))
    assert list(csv.columns[:4]) == ["suite", "task", "protocol_key", "model"] and len(csv) == 6
    assert list(csv["task"]).count("image-to-text") == 2
    with pytest.raises(InputError, match="unknown metric to rank by 'cider'"):
        group_boards(records, rank_by="cider")


def test_one_board_is_written_as_before():
    records = [make_record("gan-a", seed=1), make_record("gan-b", seed=2)]
    frame = leaderboard_frame(records)
    (board,) = group_boards(records)
    assert boards_markdown([board], "t") == to_markdown(frame, "t") and boards_csv([board]) == to_csv(frame)


def test_reports_of_mixed_records_have_a_section_per_board(tmp_path):
    records = [make_record("a"), make_record("b", suite="cub"), _captioning("mine"), _captioning("real", "ceiling")]
    page = render_html(records, title="mixed")
    assert page.count("<h2>shapes, text → image, protocol ") == 1 and page.count("<h2>cub, text → image") == 1
    assert page.count("<h3>Leaderboard</h3>") == 3 and "<h2>Leaderboard</h2>" not in page
    assert "3 boards, one per suite, task and protocol" in page
    md = render_markdown(records, title="mixed")
    assert md.count("\n### ") == 3 and "### shapes, image → text, protocol " in md
    assert main(["report", *[str(write_record(tmp_path / f"{k}.json", r)) for k, r in enumerate(records)],
                 "--out", str(tmp_path / "r.html")]) == 0  # fmt: skip
    assert "<title>xmbench report: shapes, cub</title>" in (tmp_path / "r.html").read_text()
