"""Metric sanity ladder: controlled degradations of real images and captions, and how metrics follow them."""
