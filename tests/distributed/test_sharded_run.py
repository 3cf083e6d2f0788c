"""`xmbench run` under torchrun (2 CPU processes, gloo) gives the single-process record's numbers."""

import json
import math

import pytest

from xmbench.results import read_record

pytestmark = pytest.mark.distributed


def _records(out):
    return {p.name.split("--")[0]: read_record(p) for p in sorted((out / "results").glob("*.json"))}


def test_two_processes_give_the_single_process_metrics(launched, single_run):
    _, run_out, _ = launched
    one, two = _records(single_run), _records(run_out)
    assert sorted(one) == sorted(two) == ["noise", "real"]
    for model in one:
        m1, m2 = one[model]["metrics"], two[model]["metrics"]
        assert sorted(m1) == sorted(m2) and len(m1) > 10
        for name in m1:
            a, b = m1[name], m2[name]
            assert a["n"] == b["n"] == 120, name
            for field in ("value", "ci_low", "ci_high", "std"):
                x, y = a[field], b[field]
                if name.startswith("fd") and isinstance(x, float):
                    assert math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0), (model, name, field, x, y)
                else:
                    assert x == y, (model, name, field, x, y)
            assert a.get("bootstrap") == b.get("bootstrap") or name.startswith("fd"), (model, name)
        assert one[model]["protocol"] == two[model]["protocol"]
        assert one[model]["samples"] == two[model]["samples"]  # rank 0 generated chunk 0
        assert one[model]["worst_captions"] == two[model]["worst_captions"]
    # the two runs differ: real images score far better than noise (the comparison is not vacuous)
    assert one["real"]["metrics"]["fd_shapes"]["value"] < one["noise"]["metrics"]["fd_shapes"]["value"] / 10


def test_rank_zero_writes_and_prints_once(launched):
    _, run_out, proc = launched
    assert proc.stdout.count("result records in") == 1, proc.stdout
    assert proc.stdout.count("done in") == 1
    assert "xmbench: error" not in proc.stderr
    records = _records(run_out)
    assert all(r["environment"]["distributed"] == {"world_size": 2, "backend": "gloo"} for r in records.values())
    assert (run_out / "leaderboards" / "shapes.md").is_file() and (run_out / "report.html").is_file()
    # one sample-cache entry per chunk and model (3 chunks x 2 models), written by its owner alone;
    # nothing half-written left behind
    assert len(list((run_out / "cache" / "samples").rglob("*.safetensors"))) == 6
    assert not [p for p in (run_out / "cache").rglob("*") if p.name.endswith(".tmp")]


def test_chunks_are_shared_round_robin_and_gathered_in_order(launched):
    out, _, _ = launched
    r0, r1 = (json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1))
    assert (r0["world"], r1["world"]) == (2, 2)
    assert r0["worked"] == [0, 20, 40] and r1["worked"] == [10, 30]
    assert r0["order"] == [[0, 0], [10, 1], [20, 0], [30, 1], [40, 0]] and r1["order"] == []
    assert r0["gathered"] == [[0.0], [1.0, 1.0]] and r1["gathered"] is None
    assert r0["broadcast"] == r1["broadcast"] == {"from": 0}


def test_an_error_on_one_rank_raises_on_every_rank(launched):
    out, _, _ = launched
    r0, r1 = (json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1))
    assert r1["error"] == "ValueError: boom on rank 1"
    assert r0["error"] == ("PeerError: rank 1 of 2 failed while testing the error exchange: ValueError: boom on rank 1")
