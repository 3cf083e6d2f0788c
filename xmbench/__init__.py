"""xmbench: evaluation and benchmarking suite for cross-modal generators (text to image, image to text)."""

__version__ = "0.1.0"
