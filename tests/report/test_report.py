import base64
import html
import re

import numpy as np
import pytest
from record_factory import make_record

from xmbench.errors import InputError
from xmbench.report import render_html, render_markdown
from xmbench.results.samples import decode_strip, encode_strip

EVIL = '<script>alert("x")</script> & a red circle'


def _records():
    rng = np.random.default_rng(0)
    captions = [EVIL, "a blue square", "two green crosses"]
    out = []
    for k, (name, role, fd, acc) in enumerate(
        [
            ("real", "ceiling", 1.0, 0.99),
            ("noise", "floor", 300.0, 0.02),
            ("gan-a", None, 20.0, 0.6),
            ("gan-b", None, 40.0, 0.3),
        ]
    ):
        r = make_record(name, {"fd_shapes": fd, "attribute_accuracy": acc}, role=role, seed=k)
        r["samples"] = {
            "captions": captions,
            "indices": [0, 1, 2],
            "png": encode_strip(rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)),
        }
        r["per_attribute"] = {"shape": acc, "colour": min(1.0, acc + 0.1), "whole caption": acc * 0.9}
        r["worst_captions"] = [{"caption": EVIL, "score": 0.0, "note": "shape <wrong>"}]
        if role is None:
            r["training"] = {
                "steps": 100,
                "curves": [{"step": s, "loss_g": 1.0 / s, "loss_d": 0.5} for s in (25, 50, 100)],
            }
        out.append(r)
    return out


def test_html_is_self_contained_and_escapes_every_caption():
    page = render_html(_records(), title="t <b>")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "<b>" not in page
    assert html.escape(EVIL) in page and "shape &lt;wrong&gt;" in page
    # every image is embedded, nothing is fetched
    srcs = re.findall(r'src="([^"]+)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'(href|src)="https?:', page)
    for s in srcs:
        assert base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # bars + samples + heatmap + curves
    assert len(srcs) == 4
    for section in (
        "Leaderboard",
        "Metrics with confidence intervals",
        "Samples: the same captions",
        "Per-attribute accuracy",
        "Worst-scoring captions",
        "Training curves",
    ):
        assert section in page


def test_html_leaderboard_rows_in_rank_order():
    page = render_html(_records())
    rows = re.findall(r"<tr class=\"(\w+)\"><td>([^<]*)</td><td>([^<]*)</td>", page)
    assert [(c, m) for c, _, m in rows] == [
        ("ceiling", "real"),
        ("model", "gan-a"),
        ("model", "gan-b"),
        ("floor", "noise"),
    ]


def test_markdown_summary_names_the_leader():
    md = render_markdown(_records(), rank_by="fd_shapes")
    assert "Best on `fd_shapes`: **gan-a** with 20.00." in md
    assert f"{100 * (20 - 300) / (1 - 300):.0f}% of the way" in md
    assert "| 1 | **gan-a** |" in md


def test_strip_roundtrip():
    x = np.random.default_rng(1).integers(0, 256, (4, 3, 8, 8), dtype=np.uint8)
    assert np.array_equal(decode_strip(encode_strip(x), 4), x)
    with pytest.raises(InputError, match="not a base64 PNG"):
        decode_strip("not-png", 4)
