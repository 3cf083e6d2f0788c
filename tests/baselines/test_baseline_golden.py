"""Golden values: each reference generator's output at its VERSION.

The runner's caches key on a generator's VERSION, not on its source code, so a refactor retrains
nothing. These tests hold each version to its outputs: a tiny deterministic training (3 steps, one
thread) of every baseline and a fixed call of every calibration generator, compared with the values
stored in golden.json for that version. When an output changes on purpose, bump the class's VERSION
and rewrite the golden values with `XMBENCH_UPDATE_GOLDEN=1 pytest tests/baselines/test_baseline_golden.py`.
"""

import hashlib
import json
import math
import os
from pathlib import Path

import pytest
import torch

from baselines.base import COMMON_DEFAULTS
from xmbench.registry import BASELINES, CALIBRATION

GOLDEN = Path(__file__).with_name("golden.json")
UPDATE = os.environ.get("XMBENCH_UPDATE_GOLDEN") == "1"
#: tolerances of float golden values: far above round-off between CPUs (the curves round losses to 1e-5),
#: far below any recipe change
RTOL, ATOL = 1e-4, 2e-5
#: the last losses of a 3-step mixed-precision (bfloat16) training depend on the CPU's bfloat16 kernels:
#: 9e-4 relative apart between an AMD EPYC without AVX-512 and the CPU the golden values came from,
#: while the weights and images stayed within RTOL; those still catch a recipe change
LOSS_RTOL = 5e-3
TINY = {"batch_size": 4, "ngf": 4, "ndf": 4, "text_dim": 8, "nz": 4, "text_steps": 2}
#: columns of the training curves that measure time, not the recipe
TIMING = ("step", "images_per_s", "cpu_s")
CAPTIONS = ["a red circle at the top left", "a big blue square", "a small green cross", "a golden box"]


def _check(cls: type, values: dict) -> None:
    """Compare `values` with the golden entry of `cls` (or store them when updating)."""
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.is_file() else {}
    entry = {"version": cls.VERSION, "values": values}
    if UPDATE:
        golden[cls.__name__] = entry
        GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
        return
    stored = golden.get(cls.__name__)
    assert stored is not None, f"no golden value for {cls.__name__}: run with XMBENCH_UPDATE_GOLDEN=1"
    assert stored["version"] == cls.VERSION, (
        f"{cls.__name__}.VERSION is {cls.VERSION} but the golden value is for version {stored['version']}: "
        "update the golden value (XMBENCH_UPDATE_GOLDEN=1)"
    )
    changed = [
        k
        for k in stored["values"]
        if not _close(values.get(k), stored["values"][k], LOSS_RTOL if k == "losses" else RTOL)
    ]
    assert not changed, (
        f"output changed ({', '.join(changed)}): bump {cls.__name__}.VERSION and update the golden value "
        f"(XMBENCH_UPDATE_GOLDEN=1); got {values}"
    )


def _close(got: object, want: object, rtol: float = RTOL) -> bool:
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(_close(got[k], want[k], rtol) for k in want)
    if isinstance(want, float):
        return isinstance(got, float) and math.isclose(got, want, rel_tol=rtol, abs_tol=ATOL)
    return got == want


def _abs_sums(model: torch.nn.Module) -> dict[str, float]:
    """float64 sum of |w| over the parameters and buffers of each top-level part (g, d, encoder)."""
    sums: dict[str, float] = {}
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point():
            part = name.split(".")[0]
            sums[part] = sums.get(part, 0.0) + tensor.double().abs().sum().item()
    return sums


@pytest.mark.parametrize("name", ["gan-int-cls", "stackgan", "dfgan"])
def test_baseline_outputs_match_their_version(name, suite, tmp_path):
    from baselines.checkpoint import load_checkpoint
    from baselines.training import train_baseline

    cls = BASELINES.get(name)
    final = train_baseline(
        name,
        suite,
        out_dir=tmp_path,
        steps=3,
        seed=0,
        train_limit=32,
        samples=0,
        checkpoint_every=3,
        quiet=True,
        **TINY,
    )
    model = load_checkpoint(final)
    curves = json.loads((tmp_path / "curves.json").read_text())
    images = model.generate(CAPTIONS, seed=0).double()
    values = {
        # steps is the shipped recipe's budget, not an output: training caches key on it explicitly and
        # test_shipped holds it to the shipped checkpoint
        "defaults": json.loads(
            json.dumps({k: v for k, v in {**COMMON_DEFAULTS, **cls.DEFAULTS}.items() if k != "steps"})
        ),
        "losses": {k: float(v) for k, v in curves[-1].items() if k not in TIMING},
        "weights_abs_sum": _abs_sums(model),
        "image_mean": images.mean().item(),
        "image_std": images.std().item(),
    }
    _check(cls, values)


def test_calibration_outputs_match_their_version(suite):
    seed = 5
    captions = suite.captions(suite.eval_split, [4, 0, 9, 4])
    real = CALIBRATION.get("real").for_suite(suite)
    _check(type(real), {"sha256": hashlib.sha256(real.generate(captions, seed).numpy().tobytes()).hexdigest()})
    retrieval = CALIBRATION.get("retrieval")(suite, "train", limit=300)
    _check(type(retrieval), {"indices": retrieval.nearest(captions).tolist()})
    noise = CALIBRATION.get("noise").for_suite(suite)
    _check(type(noise), {"sha256": hashlib.sha256(noise.generate(captions, seed).numpy().tobytes()).hexdigest()})
