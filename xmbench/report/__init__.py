"""Reports: HTML and Markdown comparison reports, plots and sample grids."""
