"""An image -> text run on a real-suite layout: Karpathy COCO with a random-weight CLIP."""

import json
import textwrap

import pytest
from real_layouts import make_karpathy

from xmbench.cli import main


@pytest.mark.slow
def test_captioning_run_on_karpathy(tmp_path, clip_file, capsys):
    root = make_karpathy(tmp_path / "coco", splits=("train", "restval") * 3 + ("test",) * 12)
    cfg = tmp_path / "karpathy.toml"
    cfg.write_text(
        textwrap.dedent(f"""\
        [suite]
        name = "coco-karpathy"
        root = "{root}"
        resolution = 32

        [evaluation]
        task = "image-to-text"
        samples = 12
        extractor = "clip-vit-b-32"
        weights = "{clip_file}"
        metrics = "all"
        bootstrap = 20
        device = "cpu"

        [metric_options.caption_r_precision]
        candidates = 5
        folds = 2

        [[models]]
        name = "real"
        captioner = "real"

        [[models]]
        name = "constant"
        captioner = "constant"
        """)
    )
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    records = {p.name.split("--")[0]: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    real, constant = records["real"], records["constant"]
    # no scene records on photos: no correctness; n-gram metrics against every other reference
    assert "caption_correctness" not in real["metrics"]
    assert set(real["metrics"]) >= {"bleu_4", "rouge_l", "cider_d", "caption_r_precision"}
    assert real["protocol"]["references"]["per_image"] == [5, 6, 7]
    assert real["metrics"]["cider_d"]["value"] > constant["metrics"]["cider_d"]["value"]
    assert real["metrics"]["caption_r_precision"]["details"]["encoder"] == "clip-vit-b-32"
    assert (out / "leaderboards" / "coco-karpathy-captioning.md").is_file()
