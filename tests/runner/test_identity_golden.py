"""Golden identities: every model of the default runs keeps the model hash its committed record was
written under, so a refactor of the runner re-evaluates nothing (caches and records key on it)."""

import json
from pathlib import Path

import pytest
import torch

from xmbench.data import get_suite
from xmbench.results.io import record_filename
from xmbench.runner.config import default_configs
from xmbench.runner.models import ModelContext, check_models, prepare_model

COMMITTED = Path(__file__).parents[2] / "leaderboards" / "results" / "shapes"


@pytest.mark.parametrize("config", default_configs(), ids=lambda c: c.task)
def test_default_models_keep_their_committed_identity(config, tmp_path):
    suite = get_suite(config.suite, **config.suite_options)
    split = config.split or suite.eval_split
    ctx = ModelContext(config, suite, split, tmp_path / "train", torch.device("cpu"), quiet=True)
    check_models(ctx)
    committed = {}
    for path in COMMITTED.glob("*.json"):
        record = json.loads(path.read_text())
        if record.get("task", "text-to-image") == config.task:
            committed[record["model"]["name"]] = record
    assert {spec.name for spec in config.models} <= set(committed)
    for spec in config.models:
        model = prepare_model(ctx, spec)
        record = committed[spec.name]
        identity = record["model"].get("model_hash") or record["model"].get("generator_hash")
        identity = identity or record["model"].get("captioner_hash")
        assert model.model_hash == identity, spec.name
        assert model.kind == record["model"]["kind"] and model.version == record["model"]["version"], spec.name
        assert not model.trained_now
    assert not (tmp_path / "train").exists()  # the default runs train nothing
    assert record_filename(record) in {p.name for p in COMMITTED.glob("*.json")}
