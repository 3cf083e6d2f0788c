"""Reports: HTML and Markdown comparison reports, plots and sample grids (read result records only)."""

from xmbench.report.html import render_html
from xmbench.report.markdown import render_markdown

__all__ = ["render_html", "render_markdown"]
