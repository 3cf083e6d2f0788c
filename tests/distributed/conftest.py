import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("ddp_worker.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict[str, str]:
    """The launched processes' environment: one thread each, no GPU (gloo on the CPU)."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}


def launcher(*options: str) -> list[str]:
    """The command line of `python -m torch.distributed.run` with `options`."""
    return [sys.executable, "-m", "torch.distributed.run", *options]


def torchrun(args: list[str], nproc: int = 2, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m torch.distributed.run --nproc-per-node nproc ... args` on the CPU (gloo), one
    thread per process."""
    port = str(free_port())
    cmd = launcher("--nproc-per-node", str(nproc), "--master-addr", "127.0.0.1", "--master-port", port, *args)
    return subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=timeout)


def torchrun_nodes(args: list[str], nnodes: int = 2, timeout: float = 300) -> list[subprocess.CompletedProcess]:
    """A multi-node launch on this machine: `nnodes` torchrun agents of one process each, started at
    once and meeting at a c10d rendezvous on 127.0.0.1 (as on `nnodes` machines); each agent's result."""
    rdzv = ["--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{free_port()}", "--rdzv-id", "xmbench-test"]
    cmd = launcher("--nnodes", str(nnodes), "--nproc-per-node", "1", *rdzv, *args)
    agents = [
        subprocess.Popen(cmd, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(nnodes)
    ]
    try:
        outputs = [agent.communicate(timeout=timeout) for agent in agents]
    finally:  # a timed-out launch leaves nothing behind: an agent stops its workers on SIGTERM
        for agent in agents:
            if agent.poll() is None:
                agent.terminate()
        for agent in agents:
            try:
                agent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                agent.kill()
    results = zip(agents, outputs, strict=True)
    return [subprocess.CompletedProcess(cmd, agent.returncode, out, err) for agent, (out, err) in results]


def run_config(chunk: int = 40) -> str:
    """A small run: 120 captions in 3 chunks of 40 (2 ranks: chunks 0 and 2 on rank 0, 1 on rank 1),
    100 reference images, the shipped shapes-v1 evaluator, every metric, two calibration models."""
    return textwrap.dedent(f"""
        models = [{{ name = "real", calibration = "real" }}, {{ name = "noise", calibration = "noise" }}]

        [suite]
        name = "shapes"

        [evaluation]
        samples = 120
        reference_samples = 100
        chunk = {chunk}
        bootstrap = 20
        device = "cpu"

        [metric_options]
        kid = {{ subsets = 10, subset_size = 60 }}
        r_precision = {{ candidates = 20, folds = 3 }}
        """)


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory):
    """XMBENCH_HOME in a temporary folder, for the launched processes too."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XMBENCH_HOME", str(tmp_path_factory.mktemp("xmbench-home")))
        yield


@pytest.fixture(scope="session")
def config_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("config") / "small.toml"
    path.write_text(run_config())
    return path


@pytest.fixture(scope="session")
def launched(tmp_path_factory, config_file):
    """One 2-process torchrun launch of ddp_worker.py (collectives, sharding, DDP training, then the
    sharded `xmbench run` of config_file): (worker folder, run output folder, completed process)."""
    out = tmp_path_factory.mktemp("worker")
    run_out = tmp_path_factory.mktemp("run-2proc")
    proc = torchrun([str(WORKER), str(out), str(config_file), str(run_out)])
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out, run_out, proc


@pytest.fixture(scope="session")
def single_run(tmp_path_factory, config_file) -> Path:
    """The same config in one process without torchrun (no process group), same environment."""
    out = tmp_path_factory.mktemp("run-1proc")
    proc = subprocess.run(
        [sys.executable, "-m", "xmbench", "run", str(config_file), "--out", str(out), "--quiet"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out
