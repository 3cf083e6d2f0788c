"""Reference text-to-image generators and calibration generators."""
