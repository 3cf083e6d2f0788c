"""`xmbench score DIR1 DIR2`: unconditional metrics between two image folders, without a config; every
mistake is one line (exit 2) before any image is read."""

import json

import pytest
from PIL import Image

from xmbench.cli import main
from xmbench.data.shapes import ShapesSuite
from xmbench.extractors import get_extractor
from xmbench.metrics.evaluator import Evaluator


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Two folders of PNGs: 24 shapes test images (generated) and 24 val images (reference)."""
    root = tmp_path_factory.mktemp("score")
    suite = ShapesSuite()
    for name, split in (("gen", "test"), ("ref", "val")):
        (root / name).mkdir()
        for i, a in enumerate(suite.batch(split, range(24)).images.numpy()):
            Image.fromarray(a.transpose(1, 2, 0)).save(root / name / f"{i:03d}.png")
    return root, suite


@pytest.mark.filterwarnings("ignore::UserWarning")  # 24 images: FD rank-deficient, KID subsets shrunk
def test_scores_equal_the_evaluator_on_the_same_images(folders, capsys):
    root, suite = folders
    out = root / "scores.json"
    args = ["score", str(root / "gen"), str(root / "ref"), "--extractor", "shapes-v1", "--json", str(out)]
    assert main([*args, "--metrics", "fd,kid,is,prdc"]) == 0
    printed = capsys.readouterr().out
    assert "fd_shapes" in printed and "precision" in printed
    written = json.loads(out.read_text())
    evaluator = Evaluator(get_extractor("shapes-v1"), ["fd", "kid", "is", "prdc"], bootstrap=0)
    evaluator.update_reference(suite.batch("val", range(24)).images)
    evaluator.update(suite.batch("test", range(24)).images)
    expected = {k: v.value for k, v in evaluator.compute().items()}
    assert {k: v["value"] for k, v in written["metrics"].items()} == pytest.approx(expected, rel=1e-12)
    assert written["generated"]["images"] == 24 and written["resize"]["size"] == 32


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{root}/nowhere", "{root}/ref"], "does not exist or is not a folder"),
        (["{root}/empty", "{root}/ref"], "holds no image files"),
        (["{root}/gen", "{root}/ref", "--metrics", "fd,fidd"], "unknown metric 'fidd'"),
        (["{root}/gen", "{root}/ref", "--metrics", "clip_score"], "needs captions"),
        (["{root}/gen", "{root}/ref", "--extractor", "nope"], "unknown extractor 'nope'"),
        (["{root}/gen", "{root}/ref", "--json", "{root}/out.txt"], "--json"),
    ],
)
def test_bad_inputs_are_one_line_exit_2(folders, capsys, monkeypatch, args, message):
    root, _ = folders
    (root / "empty").mkdir(exist_ok=True)
    monkeypatch.setattr("xmbench.score_folders.read_image", None)  # no image is read before the checks
    assert main(["score", *(a.format(root=root) for a in args)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
