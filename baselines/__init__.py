"""Reference models: text-to-image generators, captioners, the shared-latent model, calibration models.

The API the runner and users call: `get_baseline`, `get_calibration`, `list_baselines`,
`train_baseline`, `load_checkpoint`, `checkpoint_hash`.
"""

from baselines.checkpoint import checkpoint_hash, load_checkpoint
from baselines.registry import get_baseline, get_calibration, list_baselines
from baselines.training import train_baseline

__all__ = ["checkpoint_hash", "get_baseline", "get_calibration", "list_baselines", "load_checkpoint", "train_baseline"]
