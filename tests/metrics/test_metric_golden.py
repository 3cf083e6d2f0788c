"""Golden values: every metric's outputs on fixed seeded inputs, stored per metric VERSION.

A change in any output (value, std, CI bounds) fails here unless the metric's VERSION was bumped, and a
bumped VERSION fails until the golden values are regenerated — so records and caches, which key on
the versions, never mix outputs of two implementations. Regenerate after a deliberate change with

    python tests/metrics/test_metric_golden.py --update

and say in the commit why the outputs changed. The inputs hold exact duplicates on both sides, so that
tie conventions (PRDC's ball edges, R-precision's equal similarities) are exercised too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from conftest import random_images  # noqa: E402
from toy_shapes import ToyShapes  # noqa: E402

from xmbench.data import get_suite  # noqa: E402
from xmbench.metrics import get_metric_spec  # noqa: E402
from xmbench.metrics.evaluator import Evaluator  # noqa: E402

GOLDEN = Path(__file__).with_name("golden_values.json")
METRICS = ("fd", "fd_infinity", "kid", "cmmd", "is", "clip_score", "r_precision", "prdc", "attribute_accuracy")
OPTIONS = {
    "kid": {"subsets": 10, "subset_size": 50},
    "is": {"splits": 4},
    "r_precision": {"candidates": 20, "folds": 4},
    "fd_infinity": {"points": 5},
}
FIELDS = ("value", "std", "ci_low", "ci_high")


def _inputs() -> tuple[torch.Tensor, torch.Tensor, list[str], list[dict]]:
    distinct = random_images(30, 7)
    reference = distinct.repeat_interleave(6, 0)  # 180 images, each six times: k-NN radii of 0
    generated = torch.cat([random_images(90, 8), distinct[:15].repeat_interleave(6, 0)])  # 90 new, 90 copies
    batch = get_suite("shapes").batch("test", range(180))
    return reference, generated, list(batch.captions), list(batch.attributes)


def compute_golden() -> dict[str, dict]:
    """{metric: {"version": VERSION, "values": {reported name: {field: number}}}} on the fixed inputs."""
    reference, generated, captions, records = _inputs()
    out = {}
    for metric in METRICS:
        ev = Evaluator(ToyShapes(), [metric], seed=2020, bootstrap=20, options={metric: OPTIONS.get(metric, {})})
        ev.update_reference(reference)
        for lo in range(0, 180, 60):
            ev.update(generated[lo : lo + 60], captions[lo : lo + 60], records[lo : lo + 60])
        values = {name: {f: getattr(v, f) for f in FIELDS} for name, v in sorted(ev.compute().items())}
        out[metric] = {"version": get_metric_spec(metric).version, "values": values}
    return out


@pytest.fixture(scope="module")
def current() -> dict[str, dict]:
    return compute_golden()


@pytest.mark.filterwarnings("ignore:.*rank-deficient")
@pytest.mark.parametrize("metric", METRICS)
def test_outputs_match_the_golden_values_of_the_metric_version(metric, current):
    golden = json.loads(GOLDEN.read_text())[metric]
    version = current[metric]["version"]
    assert golden["version"] == version, (
        f"{metric} is VERSION {version} but its golden values are for VERSION {golden['version']}; "
        "regenerate them: python tests/metrics/test_metric_golden.py --update"
    )
    now = current[metric]["values"]
    assert set(now) == set(golden["values"]), f"{metric} reports other names than at VERSION {version}"
    for name, fields in golden["values"].items():
        for field, expected in fields.items():
            got = now[name][field]
            same = got == expected if expected is None or got is None else got == pytest.approx(expected, rel=1e-6)
            assert same, (
                f"{name}.{field} changed from {expected} to {got} without a VERSION bump of {metric}: bump "
                f"VERSION in its module and regenerate the golden values"
            )


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/metrics/test_metric_golden.py --update")
    torch.set_num_threads(1)
    GOLDEN.write_text(json.dumps(compute_golden(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN.name}")
