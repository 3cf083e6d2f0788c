"""[evaluation] reference_stats: a pytorch-fid npz (mu, sigma) stands in for the reference images of FD;
metrics that need the reference features are refused by name and left out of "all"."""

import numpy as np
import pytest

from xmbench.cli import main
from xmbench.extractors import get_extractor
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics import list_metrics
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.registry import MetricContext, get_metric_spec
from xmbench.results import read_record
from xmbench.runner.published_stats import NEEDS_REFERENCE_FEATURES

SAMPLES = 40


def _config(weights, extra: str, metrics: str = '["fd", "is"]') -> str:
    return (
        f'[suite]\nname = "shapes"\n[evaluation]\nsamples = {SAMPLES}\nreference_samples = {SAMPLES}\n'
        f'weights = "{weights}"\nmetrics = {metrics}\nbootstrap = 0\ndevice = "cpu"\n{extra}\n'
        '[[models]]\nname = "noise"\ncalibration = "noise"\n'
    )


def _run(tmp_path, text: str, name: str) -> int:
    (tmp_path / f"{name}.toml").write_text(text)
    return main(["run", str(tmp_path / f"{name}.toml"), "--out", str(tmp_path / name), "--quiet"])


@pytest.fixture(scope="module")
def stats_file(tmp_path_factory, shapes, random_evaluator):
    """pytorch-fid statistics of the run's own reference images (mu, sigma only)."""
    evaluator = Evaluator(get_extractor("shapes-v1", weights=random_evaluator), ["fd"], bootstrap=0)
    evaluator.update_reference(shapes.batch("val", range(SAMPLES)).images)
    path = tmp_path_factory.mktemp("stats") / "published.npz"
    evaluator.reference_stats().to_pytorch_fid(path)
    return path


def _metrics(out):
    (path,) = (out / "results").glob("*.json")
    return read_record(path)


@pytest.mark.filterwarnings("ignore::UserWarning")  # 40 samples < 256 dimensions: FD is rank-deficient
def test_published_statistics_give_the_fd_of_the_reference_images(tmp_path, stats_file, random_evaluator):
    assert _run(tmp_path, _config(random_evaluator, ""), "images") == 0
    assert _run(tmp_path, _config(random_evaluator, f'reference_stats = "{stats_file}"'), "stats") == 0
    images, stats = _metrics(tmp_path / "images"), _metrics(tmp_path / "stats")
    assert stats["metrics"]["fd_shapes"]["value"] == pytest.approx(images["metrics"]["fd_shapes"]["value"], rel=1e-9)
    assert stats["protocol"]["reference"]["stats"]["dim"] == 256
    assert (tmp_path / "images" / "cache" / "reference").is_dir()
    assert not (tmp_path / "stats" / "cache" / "reference").exists()  # no reference image was extracted


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_all_leaves_out_the_metrics_that_need_reference_features(tmp_path, stats_file, random_evaluator):
    text = _config(random_evaluator, f'reference_stats = "{stats_file}"', metrics='"all"')
    text = text.replace("[[models]]", "[metric_options.r_precision]\ncandidates = 10\nfolds = 2\n[[models]]")
    assert _run(tmp_path, text, "all") == 0
    names = set(_metrics(tmp_path / "all")["metrics"])
    assert "fd_shapes" in names and not names & {"kid", "precision", "recall", "density", "coverage"}


@pytest.mark.parametrize(
    ("extra", "metrics", "message"),
    [
        ('reference_stats = "{stats}"', '["fd", "kid"]', "kid need the reference images' features"),
        ('reference_stats = "{missing}"', '["fd"]', "is not a file"),
        ('reference_stats = "{small}"', '["fd"]', "dimension 3"),
        ('reference_stats = "{bad}"', '["fd"]', "missing ['sigma']"),
    ],
)
def test_mistakes_are_one_located_line(tmp_path, capsys, stats_file, random_evaluator, extra, metrics, message):
    small, bad = tmp_path / "small.npz", tmp_path / "bad.npz"
    np.savez(small, mu=np.zeros(3), sigma=np.eye(3))
    np.savez(bad, mu=np.zeros(3))
    extra = extra.format(stats=stats_file, missing=tmp_path / "nope.npz", small=small, bad=bad)
    assert _run(tmp_path, _config(random_evaluator, extra, metrics), "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "out.toml:" in err, err
    assert not (tmp_path / "out" / "results").exists()


def test_the_refused_metrics_are_those_that_keep_reference_features():
    ctx = MetricContext(ExtractorInfo("toy-v1", "", None, "none", 8))
    keeping = {
        name
        for name in list_metrics()
        if name != "attribute_accuracy"  # shapes-v1 only; it reads no reference
        and getattr(get_metric_spec(name).factory(ctx), "takes_reference", False)
    }
    assert keeping == NEEDS_REFERENCE_FEATURES
