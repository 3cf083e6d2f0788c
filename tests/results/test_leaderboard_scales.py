"""Leaderboard headers state each metric's scale from its records; no '-0%' or '-0.000' cells."""

from record_factory import make_record

from xmbench.results import leaderboard_frame, to_markdown
from xmbench.results.leaderboard import format_percent, format_value


def _with_scales(records):
    for r in records:
        r["metrics"]["kid"]["details"]["scale"] = "MMD² ×1"
        r["metrics"]["clip_score"]["details"]["scale"] = "100·cos"
    return records


def test_headers_state_the_scale_the_records_carry():
    values = {"fd_shapes": 10.0, "kid": 0.5, "clip_score": 60.0, "attribute_accuracy": 0.5}
    records = _with_scales(
        [
            make_record("real", {**values, "attribute_accuracy": 0.99}, role="ceiling", seed=1),
            make_record("noise", {**values, "attribute_accuracy": 0.01}, role="floor", seed=2),
            make_record("gan", values, seed=3),
        ]
    )
    header = to_markdown(leaderboard_frame(records)).splitlines()[2]
    assert "| kid [MMD² ×1] ↑ |" in header and "| clip_score [100·cos] ↑ |" in header
    assert "| fd_shapes ↓ |" in header  # no scale recorded: the bare name


def test_a_position_just_below_the_floor_is_not_minus_zero_percent():
    records = [
        make_record("real", {"attribute_accuracy": 0.99}, role="ceiling", seed=1),
        make_record("noise", {"attribute_accuracy": 0.01}, role="floor", seed=2),
        make_record("gan", {"attribute_accuracy": 0.0099}, seed=3),  # position -0.0001
    ]
    table = to_markdown(leaderboard_frame(records))
    assert "-0%" not in table and "| **gan** | 0% |" in table
    assert format_percent(-0.004) == "0%" and format_percent(-0.006) == "-1%" and format_percent(float("nan")) == "—"
    assert format_value(-0.00001) == "0.0000" and format_value(-0.0) == "0.000" and format_value(-0.5) == "-0.500"
