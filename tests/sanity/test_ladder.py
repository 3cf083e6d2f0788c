"""A small sanity ladder on the shipped shapes-v1 weights: each metric follows the axes it must see."""

import numpy as np
import pytest
import torch

from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.extractors import get_extractor
from xmbench.sanity.ladder import LadderConfig, run_ladder, summarise


@pytest.fixture(scope="module")
def small_ladder():
    # one thread: on a busy 2-core machine two threads spin-wait (eigvalsh 256x256: 1.4 s vs 0.02 s measured)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = LadderConfig(n_eval=200, n_ref=400, bootstrap=30, seed=0)
        table, fd_clean = run_ladder(get_extractor("shapes-v1"), get_suite("shapes"), config)
    finally:
        torch.set_num_threads(threads)
    return table, fd_clean, summarise(table, fd_clean)


def _rho(summary, axis, metric):
    return float(summary[(summary.axis == axis) & (summary.metric == metric)].rho.iloc[0])


@pytest.mark.slow
def test_fd_sees_image_degradations_and_mode_dropping(small_ladder):
    _, _, summary = small_ladder
    for axis in ("blur", "noise", "colour", "mode_drop"):
        assert _rho(summary, axis, "fd") >= 0.9, axis


@pytest.mark.slow
def test_is_sees_mode_dropping(small_ladder):
    assert _rho(small_ladder[2], "mode_drop", "is") <= -0.9


def test_caption_metrics_see_caption_shuffling(small_ladder):
    table, _, summary = small_ladder
    for metric in ("clip_score", "r_precision", "attribute_accuracy"):
        assert _rho(summary, "caption_shuffle", metric) <= -0.9, metric
    shuffled = table[(table.axis == "caption_shuffle") & (table.metric == "attribute_accuracy")]
    assert shuffled.value.iloc[0] > 0.9 and shuffled.value.iloc[-1] < 0.2


def test_fd_ignores_captions(small_ladder):
    table, fd_clean, summary = small_ladder
    fd = table[(table.axis == "caption_shuffle") & (table.metric == "fd")].value.to_numpy()
    assert np.ptp(fd) == 0
    row = summary[(summary.axis == "caption_shuffle") & (summary.metric == "fd")].iloc[0]
    assert row.ok and fd_clean["ci_high"] > fd_clean["ci_low"]


def test_cli_writes_table_and_plot(tmp_path, capsys):
    threads = torch.get_num_threads()
    try:
        status = main(
            [
                "sanity",
                "--n",
                "120",
                "--n-ref",
                "200",
                "--bootstrap",
                "10",
                "--axes",
                "blur,caption_shuffle",
                "--threads",
                "1",
                "--out",
                str(tmp_path),
            ]
        )
    finally:
        torch.set_num_threads(threads)
    assert status == 0
    out = capsys.readouterr().out
    assert "caption_shuffle" in out and "rho" in out
    assert (tmp_path / "sanity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "sanity-summary.csv").exists() and (tmp_path / "sanity.json").exists()
    assert main(["sanity", "--axes", "blurr", "--out", str(tmp_path)]) == 2
    assert "did you mean 'blur'" in capsys.readouterr().err
