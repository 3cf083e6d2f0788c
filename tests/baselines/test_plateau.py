"""The plateau rule, the validation progress hook and training that stops at its plateau."""

import json

import numpy as np

from baselines.plateau import MIN_EVALUATIONS, plateau_step, plateaued
from baselines.progress import progress_hook
from baselines.training import train_baseline


def _curve(values, half_width=0.02, every=500):
    return [
        {"step": every * (i + 1), "acc": v, "acc_low": v - half_width, "acc_high": v + half_width, "loss": 1.0}
        for i, v in enumerate(values)
    ]


def test_rising_curve_is_not_a_plateau_and_a_saturating_one_is():
    rising = _curve(np.linspace(0.1, 0.6, 20))  # +0.026 per evaluation, wider than the interval
    assert not plateaued(rising, "acc") and plateau_step(rising, "acc") is None
    saturating = _curve([min(0.05 * i, 0.5) for i in range(1, 25)], half_width=0.03)  # flat from step 5000
    # at S = 8500 the last quarter (6500-8500) is flat and the third (4500-6000) holds 0.45, 0.5, 0.5, 0.5:
    # 0.0125 below, less than 0.06 / 4; at S = 8000 the third quarter (4000-5500) is 0.0375 below
    step = plateau_step(saturating, "acc")
    assert step == 8500
    assert plateaued(saturating[: step // 500], "acc") and not plateaued(saturating[: step // 500 - 1], "acc")


def test_short_curves_and_rows_without_intervals_never_plateau():
    assert not plateaued(_curve([0.5] * (MIN_EVALUATIONS - 1)), "acc")
    assert plateaued(_curve([0.5] * MIN_EVALUATIONS), "acc")
    assert not plateaued([{"step": s, "acc": 0.5} for s in range(50)], "acc")  # no interval: not evaluated
    assert not plateaued(_curve([0.5] * MIN_EVALUATIONS), "other")


def test_a_slow_rise_inside_each_interval_is_not_a_plateau():
    # +0.004 per evaluation: every last-quarter value is inside the last interval (half-width 0.02), but
    # the last quarter's mean is 0.018 above the third quarter's, more than 0.04 / 4
    slow = _curve([0.3 + 0.004 * i for i in range(16)])
    window = [r["acc"] for r in slow if r["step"] >= 0.75 * slow[-1]["step"]]
    assert all(r >= slow[-1]["acc_low"] for r in window) and not plateaued(slow, "acc")


def test_a_drop_in_the_last_quarter_is_not_a_plateau():
    values = [0.5] * 12 + [0.4]  # a collapse at the end: the last quarter leaves the last interval
    assert not plateaued(_curve(values), "acc")


def test_progress_hook_scores_the_ceiling_and_floor_on_validation(suite):
    from baselines.calibration import NoiseGenerator, RealGenerator

    hook = progress_hook(suite, samples=40)
    real = hook(1, RealGenerator.for_suite(suite, "val"))
    noise = hook(1, NoiseGenerator.for_suite(suite, "val"))
    assert real["val_attribute_accuracy"] >= 0.95 and noise["val_attribute_accuracy"] == 0.0
    assert real["val_attribute_accuracy_low"] <= real["val_attribute_accuracy"] <= real["val_attribute_accuracy_high"]


def test_progress_hook_scores_captioners_by_caption_correctness(suite):
    from baselines.calibration_captioners import ConstantCaptioner

    hook = progress_hook(suite, samples=30)
    row = hook(1, ConstantCaptioner.for_suite(suite))
    assert set(row) == {"val_caption_correctness", "val_caption_correctness_low", "val_caption_correctness_high"}
    assert 0.0 <= row["val_caption_correctness"] <= 0.2


def test_training_stops_at_the_plateau_and_a_rerun_trains_nothing(tmp_path, suite, tiny_options):
    calls = []

    def hook(step, model):
        calls.append(step)
        return {"acc": 0.5, "acc_low": 0.45, "acc_high": 0.55}

    run = dict(
        train_limit=16, checkpoint_every=100, quiet=True, samples=0, eval_every=1, eval_hook=hook, **tiny_options
    )
    until = lambda rows: plateaued(rows, "acc")  # noqa: E731
    path = train_baseline("gan-int-cls", suite, tmp_path / "run", steps=50, until=until, **run)
    assert path.name == f"step-{MIN_EVALUATIONS:07d}" and calls == list(range(1, MIN_EVALUATIONS + 1))
    rows = json.loads((tmp_path / "run" / "curves.json").read_text())
    assert rows[-1]["step"] == MIN_EVALUATIONS and rows[-1]["eval_cpu_s"] >= 0
    assert train_baseline("gan-int-cls", suite, tmp_path / "run", steps=50, until=until, **run) == path
    assert len(calls) == MIN_EVALUATIONS


def test_evaluation_cpu_is_kept_out_of_training_cpu(tmp_path, suite, tiny_options):
    import time

    spent = 0.3

    def busy(step, model):
        end = time.process_time() + spent
        while time.process_time() < end:
            pass
        return {}

    run = dict(train_limit=16, checkpoint_every=100, quiet=True, samples=0, **tiny_options)
    train_baseline("gan-int-cls", suite, tmp_path / "run", steps=4, eval_every=2, eval_hook=busy, **run)
    rows = json.loads((tmp_path / "run" / "curves.json").read_text())
    assert rows[-1]["eval_cpu_s"] >= 2 * spent
    assert rows[-1]["cpu_s"] < rows[-1]["eval_cpu_s"]  # four tiny steps cost far less than the busy hook
