import os
import textwrap
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on the shared 2-core machine two threads oversubscribe the cores and small
    linear algebra slows down by an order of magnitude."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def random_evaluator(tmp_path_factory, shapes):
    """shapes-v1 weights with random initialisation (tests must not depend on the shipped file)."""
    from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
    from xmbench.extractors.shapes_v1.weights import save_weights
    from xmbench.text.tokenizer import WordTokenizer

    torch.manual_seed(0)
    tokenizer = WordTokenizer.from_captions(shapes.captions("train", range(2000)))
    path = tmp_path_factory.mktemp("evaluator") / "random-shapes-v1.safetensors"
    save_weights(ShapesNet(NetConfig(vocab_size=len(tokenizer))).eval(), tokenizer, path)
    return path


TINY_MODELS = """
[[models]]
name = "gan-int-cls"
baseline = "gan-int-cls"
steps = 2
options = { batch_size = 8, ngf = 8, ndf = 8 }

[[models]]
name = "real"
calibration = "real"

[[models]]
name = "noise"
calibration = "noise"
"""

MODELS_WITH_DEGRADED = (
    TINY_MODELS
    + """
[[models]]
name = "degraded"
import = "degraded_generator:NoisyReal"
options = { strength = 60.0 }
"""
)


def tiny_config(weights, models: str = TINY_MODELS, samples: int = 120) -> str:
    """A TOML config that runs in seconds: 120 captions, few bootstrap resamples, tiny training."""
    return (
        textwrap.dedent(f"""
        [suite]
        name = "shapes"

        [evaluation]
        samples = {samples}
        reference_samples = {samples}
        weights = "{weights}"
        bootstrap = 20
        batch_size = 64
        device = "cpu"

        [metric_options.kid]
        subsets = 5
        subset_size = 50

        [metric_options.r_precision]
        candidates = 10
        folds = 2

        [training]
        device = "cpu"
        train_limit = 64
        checkpoint_every = 2
        """)
        + models
    )


def records_by_model(out: Path) -> dict[str, Path]:
    """Model name -> result record path in a run's output folder."""
    return {p.name.split("--")[0]: p for p in sorted((Path(out) / "results").glob("*.json"))}


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory):
    """XMBENCH_HOME in a temporary folder (the baselines' training-data cache), for subprocesses too."""
    before = os.environ.get("XMBENCH_HOME")
    os.environ["XMBENCH_HOME"] = str(tmp_path_factory.mktemp("xmbench-home"))
    yield
    if before is None:
        os.environ.pop("XMBENCH_HOME", None)
    else:
        os.environ["XMBENCH_HOME"] = before


@pytest.fixture(scope="session")
def first_run(tmp_path_factory, random_evaluator):
    """One uninterrupted tiny run (gan-int-cls, real, noise, degraded): (config path, output folder)."""
    from xmbench.cli import main

    root = tmp_path_factory.mktemp("e2e")
    cfg = root / "tiny.toml"
    cfg.write_text(tiny_config(random_evaluator, models=MODELS_WITH_DEGRADED))
    out = root / "out"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    finally:
        torch.set_num_threads(before)
    return cfg, out
