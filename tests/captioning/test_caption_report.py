"""Captioning records in the reports: every model's caption of the same images, everything escaped."""

import numpy as np
from record_factory import make_record

from xmbench.report import render_html, render_markdown
from xmbench.results.samples import encode_strip

EVIL = '<script>alert("x")</script> | a red circle'


def _captioning(name, caption, role=None):
    record = make_record(name, {"caption_correctness": 0.5}, spread=0.01, role=role)
    record["metrics"]["caption_correctness"]["higher_is_better"] = True
    record["task"] = "image-to-text"
    record["protocol"]["task"] = "image-to-text"
    images = np.zeros((2, 3, 8, 8), dtype=np.uint8)
    record["samples"] = {"captions": [caption, "two"], "indices": [0, 1], "references": ["ref <b>", "r"],
                         "png": encode_strip(images)}  # fmt: skip
    record["worst_captions"] = [{"caption": caption, "score": 0.0, "index": 0, "note": "colour <i>wrong</i>"}]
    record["per_attribute"] = {"colour": 0.25, "shape": 1.0}
    return record


def test_html_shows_every_models_caption_escaped():
    records = [_captioning("<img src=x>", EVIL), _captioning("real", "a red circle", role="ceiling")]
    page = render_html(records, title="t")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;img src=x&gt;" in page and "<img src=x>" not in page
    assert "every model&#x27;s caption of the same images" in page or "every model's caption" in page
    assert "ref &lt;b&gt;" in page and "colour &lt;i&gt;wrong&lt;/i&gt;" in page
    assert "calibration captioners" in page and "caption judge" in page


def test_markdown_table_of_captions_is_escaped():
    md = render_markdown([_captioning("mine", EVIL), _captioning("real", "a red circle", role="ceiling")])
    row = next(line for line in md.splitlines() if line.startswith("| 0 |"))
    assert "\\|" in row and "<script>" not in row and "&lt;script&gt;" in row
    assert "noise floor" not in md and "Best on `caption_correctness`: **mine**" in md
