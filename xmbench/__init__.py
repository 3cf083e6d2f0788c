"""xmbench: evaluation and benchmarking suite for text-to-image generators."""

__version__ = "0.1.0"
