"""The HTML report at common widths, measured in headless Chromium: nothing wider than the content
column except inside a table's own scrolling container, interval cells on one line; and the plot
choices that keep models apart (one colour per model, a dominating floor cut at the panel's edge)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from xmbench.report import plots, render_html
from xmbench.results import read_records
from xmbench.results.schema import record_task

RECORDS = Path(__file__).parents[2] / "leaderboards" / "results" / "shapes"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)

#: runs after load: lists elements reaching past the body's content box (outside .scroll containers),
#: numeric cells whose text wraps, and the page's horizontal overflow in pixels
PROBE = """
window.addEventListener("load", () => {
  const body = document.body.getBoundingClientRect();
  const right = body.right - parseFloat(getComputedStyle(document.body).paddingRight) + 1;
  const overflow = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".scroll") && !el.classList.contains("scroll")) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > right) overflow.push(el.tagName + " " + Math.round(r.right));
  }
  const tall = [];
  for (const td of document.querySelectorAll("td.num")) {
    const text = document.createRange();  // the cell's text, not its row: a wrapped neighbour makes rows tall
    text.selectNodeContents(td);
    if (text.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(td).fontSize)) tall.push(td.textContent);
  }
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify({
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    overflow, tall, images: [...document.images].map(i => Math.round(i.getBoundingClientRect().width)),
    scrolling: [...document.querySelectorAll(".scroll")].filter(d => d.scrollWidth > d.clientWidth).length,
  });
  document.body.appendChild(pre);
});
"""


def _layout(page: Path, width: int, tmp_path: Path) -> dict:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={width},900",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout
    match = re.search(r'<pre id="layout">(.*?)</pre>', dom)
    assert match, dom[-500:]
    return json.loads(match.group(1).replace("&quot;", '"'))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
@pytest.mark.parametrize("width", [1024, 1400])
@pytest.mark.parametrize("task", ["text-to-image", "image-to-text"])
def test_report_fits_the_column_at_common_widths(tmp_path, width, task):
    records = [r for r in read_records([RECORDS]) if record_task(r) == task]
    page = tmp_path / "report.html"
    page.write_text(render_html(records).replace("</body>", f"<script>{PROBE}</script></body>"))
    got = _layout(page, width, tmp_path)
    assert got["page"] == 0 and got["overflow"] == [], got
    assert got["tall"] == [], got  # "value [low, high]" cells stay on one line
    assert len(got["images"]) >= 1 and max(got["images"]) <= min(width, 1200)
    if width == 1024 and task == "text-to-image":
        assert got["scrolling"] >= 1  # the leaderboard is wider than the column: it scrolls in its own box


def test_one_colour_per_model_and_roles_keep_theirs():
    roles = ["ceiling", "model", "model", "model", "reference", "floor"]
    colours = plots.row_colours(roles)
    assert len(set(colours[1:4])) == 3 and not set(colours[1:4]) & set(plots.ROLE_COLOURS.values())
    assert colours[0] == plots.ROLE_COLOURS["ceiling"] and colours[-1] == plots.ROLE_COLOURS["floor"]


def test_a_dominating_floor_is_cut_so_models_stay_apart():
    roles = ["ceiling", "model", "model", "floor"]
    values = np.array([36.0, 621.0, 1225.0, 8569.0])
    assert plots._axis_limit(values, values + 20, roles) == pytest.approx(1.25 * 1245.0)
    near = np.array([36.0, 621.0, 1225.0, 2000.0])  # a floor within 3x of the rest is drawn whole
    assert plots._axis_limit(near, near, roles) is None
