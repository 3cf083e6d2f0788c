"""The README is a short front page whose leaderboard block is the committed leaderboard's table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _table(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_readme_leaderboard_block_is_the_committed_leaderboard():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- leaderboard:start -->(.*?)<!-- leaderboard:end -->", readme, re.S)
    assert block, "README.md lost its <!-- leaderboard:start --> ... <!-- leaderboard:end --> block"
    committed = (ROOT / "leaderboards" / "shapes.md").read_text(encoding="utf-8")
    assert _table(block.group(1)) == _table(committed), (
        "README.md's leaderboard table differs from leaderboards/shapes.md; paste the new table into the block"
    )


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move details into docs/ and link them"
