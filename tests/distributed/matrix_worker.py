"""Run by tests/distributed/test_model_matrix.py, under torchrun or as one plain process: the runner
on each CONFIG in turn, outputs under OUT, in one process group (one launch serves both tasks:
starting the processes and importing torch costs most of a launch).

    python [-m torch.distributed.run ...] tests/distributed/matrix_worker.py OUT CONFIG...

As `xmbench run`, `import = "module:factory"` finds modules beside the config file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from xmbench import distributed as dist
from xmbench.runner.config import load_config
from xmbench.runner.pipeline import RunPaths, run


def main(out: Path, configs: list[str]) -> int:
    torch.set_num_threads(1)
    try:
        for path in configs:
            sys.path.insert(0, str(Path(path).resolve().parent))
            config = load_config(path)
            run(config, RunPaths.under(out, config.suite), quiet=True)
    finally:
        dist.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2:]))
