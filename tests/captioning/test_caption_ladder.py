"""The caption sanity ladder: edits, nested shares, and the targets on real shapes captions."""

import numpy as np
import pytest

from xmbench.cli import main
from xmbench.data.shapes.reading import read_caption
from xmbench.sanity.caption_edits import drop_word, edited_set, swap_colour, swap_relation, swap_shape, truncate


def test_edits_change_one_thing():
    rng = np.random.default_rng(0)
    caption = "a small red circle to the left of a large blue square"
    before = read_caption(caption)
    colour = read_caption(swap_colour(caption, rng))
    assert [o["colour"] for o in colour.objects] != [o["colour"] for o in before.objects]
    assert [o["shape"] for o in colour.objects] == [o["shape"] for o in before.objects]
    shape = read_caption(swap_shape(caption, rng))
    assert [o["shape"] for o in shape.objects] != [o["shape"] for o in before.objects]
    assert read_caption(swap_relation(caption, rng)).relation != "left of"
    assert swap_relation("a red circle in the top left", rng) == "a red circle in the top left"
    assert len(drop_word(caption, rng).split()) == len(caption.split()) - 1
    assert truncate("one two three", rng) == "one two"


def test_edited_sets_are_nested_and_seeded():
    captions = [f"a red circle number {i}" for i in range(50)]
    half, full = edited_set(captions, "colour", 0.5, 3), edited_set(captions, "colour", 1.0, 3)
    changed_half = {i for i, (a, b) in enumerate(zip(captions, half, strict=True)) if a != b}
    assert len(changed_half) == 25 and all(half[i] == full[i] for i in changed_half)
    assert half == edited_set(captions, "colour", 0.5, 3)
    shuffled = edited_set(captions, "shuffle", 0.4, 3)
    moved = [i for i in range(50) if shuffled[i] != captions[i]]
    assert len(moved) == 20 and sorted(shuffled) == sorted(captions)


@pytest.mark.parametrize("edits", ["colour,relation,shuffle"])
def test_ladder_meets_its_targets(tmp_path, capsys, edits):
    out = tmp_path / "sanity"
    code = main(["sanity", "--captions", "--n", "120", "--axes", edits, "--out", str(out), "--strict"])
    table = capsys.readouterr().out
    assert code == 0, table
    import pandas as pd

    summary = pd.read_csv(out / "caption-sanity-summary.csv")
    row = {(r.edit, r.metric): r for r in summary.itertuples()}
    # every n-gram metric notices a wrong colour far less than exact correctness does
    colour = {m: row[("colour", m)].relative_move for m in ("bleu_4", "rouge_l", "cider_d", "caption_correctness")}
    assert colour["caption_correctness"] == -1.0
    assert all(-0.35 < colour[m] < 0 for m in ("bleu_4", "rouge_l", "cider_d")), colour
    assert row[("relation", "caption_correctness_relation")].rho == pytest.approx(-1.0)
    assert (out / "caption-sanity.md").read_text().startswith("| edit | bleu_4 |")


def test_unknown_edit_is_one_line(capsys):
    assert main(["sanity", "--captions", "--axes", "colour,blur"]) == 2
    assert "unknown caption edit 'blur'" in capsys.readouterr().err
