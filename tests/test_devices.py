"""Every metric through the shipped evaluator on each available device (CPU always; CUDA when present).

On a machine with a GPU this checks that the whole path stays on the device and agrees with the CPU.
"""

import functools
import math

import pytest
import torch

from xmbench.data import get_suite
from xmbench.extractors import get_extractor
from xmbench.metrics.evaluator import Evaluator

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
METRICS = ["fd", "kid", "is", "clip_score", "r_precision", "prdc", "attribute_accuracy"]


@functools.cache
def _evaluate(device: str) -> dict[str, float]:
    suite = get_suite("shapes")
    real, fake = suite.batch("val", range(120)), suite.batch("test", range(120))
    ev = Evaluator(
        get_extractor("shapes-v1", device=device),
        METRICS,
        seed=0,
        bootstrap=0,
        options={"kid": {"subsets": 5, "subset_size": 50}, "r_precision": {"folds": 2, "candidates": 20}},
    )
    for lo in (0, 60):
        ev.update_reference(real.images[lo : lo + 60].to(device))
        ev.update(fake.images[lo : lo + 60].to(device), fake.captions[lo : lo + 60], fake.attributes[lo : lo + 60])
    return {k: v.value for k, v in ev.compute().items()}


@pytest.mark.filterwarnings("ignore:.*rank-deficient")
@pytest.mark.parametrize("device", DEVICES)
def test_metrics_on_device_agree_with_cpu(device):
    values, cpu_values = _evaluate(device), _evaluate("cpu")
    assert set(values) == set(cpu_values)
    assert "fd_shapes" in values and all(math.isfinite(v) for v in values.values())
    # real test images judged by the shipped evaluator: right captions are recognised
    assert values["r_precision"] > 0.9 and values["attribute_accuracy"] > 0.9
    for name, value in values.items():
        assert value == pytest.approx(cpu_values[name], rel=2e-3, abs=2e-3), name
