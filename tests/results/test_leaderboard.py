import pandas as pd
import pytest
from record_factory import make_record

from xmbench.errors import InputError
from xmbench.results import leaderboard_frame, to_markdown


def _records():
    return [
        make_record("real", {"fd_shapes": 1.0, "attribute_accuracy": 0.99}, role="ceiling", seed=1),
        make_record("noise", {"fd_shapes": 400.0, "attribute_accuracy": 0.01}, role="floor", seed=2),
        make_record("gan-a", {"fd_shapes": 20.0, "attribute_accuracy": 0.60}, seed=3),
        make_record("gan-b", {"fd_shapes": 20.3, "attribute_accuracy": 0.40}, seed=4),  # FD tie with gan-a
        make_record("gan-c", {"fd_shapes": 50.0, "attribute_accuracy": 0.41}, seed=5),
    ]


def test_ranks_mark_statistical_ties_and_calibration_rows():
    frame = leaderboard_frame(_records(), rank_by="fd_shapes")
    assert list(frame["model"]) == ["real", "gan-a", "gan-b", "gan-c", "noise"]
    ranks = dict(zip(frame["model"], frame["rank"], strict=False))
    assert ranks["gan-a"] == ranks["gan-b"] == 1 and ranks["gan-c"] == 3
    assert pd.isna(ranks["real"]) and pd.isna(ranks["noise"])
    assert dict(zip(frame["model"], frame["tied"], strict=False)) == {
        "real": False,
        "gan-a": True,
        "gan-b": True,
        "gan-c": False,
        "noise": False,
    }
    pos = dict(zip(frame["model"], frame["position"], strict=False))
    assert pos["real"] == pytest.approx(1.0) and pos["noise"] == pytest.approx(0.0)
    assert pos["gan-c"] == pytest.approx((50 - 400) / (1 - 400))


def test_higher_is_better_ranking_by_accuracy():
    frame = leaderboard_frame(_records(), rank_by="attribute_accuracy")
    ranks = dict(zip(frame["model"], frame["rank"], strict=False))
    # 0.40 vs 0.41 with spread 0.005: tied; both significantly below 0.60
    assert ranks == {**ranks, "gan-a": 1, "gan-b": 2, "gan-c": 2}


def test_markdown_has_arrows_cis_and_tie_marks():
    md = to_markdown(leaderboard_frame(_records(), rank_by="fd_shapes"), title="shapes")
    assert md.startswith("# shapes\n")
    assert "fd_shapes ↓" in md and "attribute_accuracy ↑" in md
    row = next(line for line in md.splitlines() if "gan-b" in line)
    assert row.startswith("| 1= | **gan-b** |") and "20.30 [" in row
    assert "| ceiling | *real* |" in md and "| floor | *noise* |" in md


def test_refuses_mixed_suites_and_duplicate_models():
    with pytest.raises(InputError, match="refusing to mix suites") as e:
        leaderboard_frame([make_record("a"), make_record("b", suite="cub")])
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match="refusing to mix protocols"):
        leaderboard_frame([make_record("a"), make_record("b", samples=64)])
    with pytest.raises(InputError, match="two records for model 'a'"):
        leaderboard_frame([make_record("a"), make_record("a")])
    with pytest.raises(InputError, match="unknown metric to rank by 'fd_shape'; did you mean 'fd_shapes'"):
        leaderboard_frame([make_record("a")], rank_by="fd_shape")
