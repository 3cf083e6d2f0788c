"""The skills board and the report's per-skill sections, from records holding per-skill values; records
without skills keep their boards and reports unchanged."""

import html

import pytest
from record_factory import make_record

from xmbench.cli import main
from xmbench.errors import InputError
from xmbench.report import render_html
from xmbench.results import write_record
from xmbench.results.boards import boards_csv, boards_markdown, group_boards
from xmbench.results.skills import skills_csv, skills_frame, skills_markdown

EVIL = "<b>$x$ | a"


def _skilled(name: str, values: dict[str, float], role: str | None = None, seed: int = 0) -> dict:
    record = make_record(name, {"attribute_accuracy": sum(values.values()) / len(values)}, role=role, seed=seed)
    for k, (skill, value) in enumerate(values.items()):
        record["metrics"][f"attribute_accuracy_{skill}"] = make_record(
            name, {f"attribute_accuracy_{skill}": value}, seed=seed * 10 + k
        )["metrics"][f"attribute_accuracy_{skill}"]
    record["per_skill"] = {s: {"accuracy": v, "right": 1, "images": 2, "prompts": 2} for s, v in values.items()}
    record["worst_by_skill"] = {s: [{"caption": EVIL, "score": 0.0, "index": 3, "note": "n <i>"}] for s in values}
    return record


def _records() -> list[dict]:
    return [
        _skilled("noise", {"counting": 0.0, "binding": 0.0}, role="floor", seed=1),
        _skilled("gan-a", {"counting": 0.2, "binding": 0.6}, seed=2),
        _skilled(EVIL, {"counting": 0.9, "binding": 0.5}, seed=3),
        _skilled("real", {"counting": 1.0, "binding": 0.98}, role="ceiling", seed=4),
    ]


def test_rows_are_models_by_mean_between_ceiling_and_floor():
    frame = skills_frame(_records())
    assert list(frame["model"]) == ["real", EVIL, "gan-a", "noise"]
    assert frame.attrs["skills"] == ["binding", "counting"]
    assert list(frame["mean"]) == pytest.approx([0.99, 0.7, 0.4, 0.0])
    assert (frame["counting_ci_low"] <= frame["counting"]).all() and (
        frame["counting"] <= frame["counting_ci_high"]
    ).all()


def test_markdown_and_csv_escape_names_and_hold_every_value():
    boards = group_boards(_records())
    md = skills_markdown(boards, title="skills")
    assert md.startswith("# skills\n") and "| model | binding | counting | mean |" in md
    assert "&lt;b&gt;$x$ \\| a" in md and "<b>" not in md
    row = next(line for line in md.splitlines() if line.startswith("| &lt;b&gt;"))
    assert row.endswith("| 0.700 |") and "0.900 [" in row
    csv = skills_csv(boards)
    assert csv.splitlines()[0].startswith("suite,task,protocol_key,table,model,role,binding,")
    assert len(csv.splitlines()) == 5


def _with_drops(record: dict, drops: dict[str, dict[str, float]], seed: int) -> dict:
    """`record` of a robustness run: variant -> skill -> drop."""
    record["protocol"] = {**record["protocol"], "robustness": {"variants": list(drops)}}
    for k, (variant, values) in enumerate(drops.items()):
        for j, (skill, value) in enumerate(values.items()):
            name = f"robustness_{variant}_{skill}_drop"
            record["metrics"][name] = make_record("m", {name: value}, seed=seed * 100 + k * 10 + j)["metrics"][name]
    return record


def test_each_robustness_variant_gets_a_per_skill_drop_table_in_the_accuracy_tables_order():
    noise, gan, evil, real = _records()
    _with_drops(gan, {"typo": {"counting": 0.1, "binding": 0.3}, "clause_order": {"binding": 0.05}}, seed=5)
    _with_drops(evil, {"typo": {"counting": 0.4, "binding": 0.2}, "clause_order": {"binding": -0.1}}, seed=6)
    boards = group_boards([noise, gan, evil, real])
    md = skills_markdown(boards)
    typo = md[md.index(": robustness_typo_drop") :]
    order = md[md.index(": robustness_clause_order_drop") :]
    assert md.index("| model | binding | counting | mean |") < md.index(": robustness_typo_drop") < len(md) - len(order)
    rows = [line for line in typo.splitlines() if line.startswith("| ")][1:3]  # the typo table's two rows
    assert rows[0].startswith("| &lt;b&gt;") and rows[1].startswith("| gan-a |")  # the accuracy table's order
    assert rows[0].endswith("| 0.300 |") and rows[1].endswith("| 0.200 |")  # mean drop over the skills
    gan_order = next(line for line in order.splitlines() if line.startswith("| gan-a |"))
    assert gan_order.startswith("| gan-a | 0.0500 [") and gan_order.endswith("|  | 0.0500 |")  # no counting rewrite
    assert "| real |" not in typo and "| noise |" not in typo  # rows without drops are left out
    assert "Lower is better" in typo
    tables = [line.split(",")[3] for line in skills_csv(boards).splitlines()[1:]]
    assert tables == ["accuracy"] * 4 + ["robustness_typo_drop"] * 2 + ["robustness_clause_order_drop"] * 2


def test_captioners_get_a_skills_board_of_caption_correctness():
    """Image -> text records name their skills in their per-skill values' details (no per_skill section)."""
    records = []
    for k, (name, values) in enumerate((("sat", {"counting": 0.3, "relation": 0.7}), ("hand", {"counting": 0.9}))):
        names = {f"caption_correctness_{s}": v for s, v in values.items()}
        record = make_record(name, {"caption_correctness": 0.5, **names, "caption_correctness_colour": 0.4}, seed=k)
        for skill in values:
            record["metrics"][f"caption_correctness_{skill}"]["details"] = {"skill": skill}
        records.append({**record, "task": "image-to-text"})
    frame = skills_frame(records)
    assert frame.attrs["skills"] == ["counting", "relation"] and list(frame["model"]) == ["hand", "sat"]
    assert frame["relation"].isna().tolist() == [True, False]  # hand has no relation value
    md = skills_markdown(group_boards(records))
    assert "| model | counting | relation | mean |" in md and "Whole-caption correctness per skill" in md
    assert "over images" in md and "colour" not in md.split("| model |")[1].splitlines()[0]


def test_records_without_skills_have_no_skills_board_and_keep_their_boards():
    plain = [make_record("a", seed=1), make_record("b", seed=2)]
    boards = group_boards(plain)
    with pytest.raises(InputError, match="no record holds per-skill values") as e:
        skills_markdown(boards)
    assert "\n" not in str(e.value)
    skilled = [{**r, "per_skill": None} for r in plain]
    assert boards_markdown(group_boards(skilled)) == boards_markdown(boards)
    assert boards_csv(group_boards(skilled)) == boards_csv(boards)
    assert "Per-skill accuracy" not in render_html(plain)


def test_the_report_shows_the_heatmap_and_escapes_every_worst_prompt():
    page = render_html(_records())
    assert "Per-skill accuracy" in page and "per-skill accuracy heatmap" in page
    assert "worst prompts of skill counting" in page and "worst prompts of skill binding" in page
    assert html.escape(EVIL) in page and "<b>$x$" not in page and "n &lt;i&gt;" in page


def test_the_command_writes_the_skills_board(tmp_path, capsys):
    for k, record in enumerate(_records()):
        write_record(tmp_path / "results" / f"r{k}.json", record)
    out = tmp_path / "skills.md"
    assert main(["leaderboard", str(tmp_path / "results"), "--out", str(out), "--skills"]) == 0
    assert "| model | binding | counting | mean |" in out.read_text() and (tmp_path / "skills.csv").exists()
    assert main(["leaderboard", str(tmp_path / "results"), "--out", str(out), "--skills", "--rank-by", "x"]) == 2
    assert "--skills ranks models by their mean over skills" in capsys.readouterr().err
