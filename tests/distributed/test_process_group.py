"""Without torchrun, xmbench.distributed is a no-op (one process, rank 0, nothing initialised); under
torchrun the command line reports a failure once per launch."""

import argparse

import pytest
import torch

from xmbench import distributed as dist
from xmbench.errors import InputError

pytestmark = pytest.mark.distributed


def test_single_process_helpers_act_on_one_process(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert dist.init("cpu") is False and not dist.is_distributed()
    assert (dist.rank(), dist.world_size(), dist.local_rank(), dist.is_main()) == (0, 1, 0, True)
    t = {"x": torch.arange(3)}
    assert dist.gather_tensors(t) == [t]
    assert dist.broadcast_json({"a": 1}) == {"a": 1}
    assert dist.all_gather_json(5) == [5]
    assert dist.mean_over_ranks([1.0, 2.0]) == [1.0, 2.0]
    assert dist.main_first(lambda: 7, "nothing") == 7
    dist.barrier()
    with pytest.raises(ValueError, match="boom"), dist.collective("a section"):
        raise ValueError("boom")
    assert dist.process_device("cuda") == torch.device("cuda")  # no LOCAL_RANK index without torchrun


def test_world_size_without_a_launcher_is_one_line(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for var in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(InputError, match="launch with torchrun"):
        dist.init("cpu")
    with pytest.raises(InputError, match="not a torch device"):
        dist.process_device("gpu0")


@pytest.mark.parametrize(
    "rank, error, printed",
    [
        ("0", dist.PeerError("rank 1 of 2 failed while training: x"), "xmbench: error: rank 1 of 2 failed"),
        ("1", dist.PeerError("rank 0 of 2 failed while training: x"), ""),  # rank 0 reports it once
        ("1", InputError("bad option"), "xmbench: error: rank 1: bad option"),  # this rank's own failure
    ],
)
def test_command_line_reports_a_failure_once_per_launch(monkeypatch, capsys, rank, error, printed):
    import xmbench.cli as cli

    def fail(args):
        raise error

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", rank)

    class Parser:  # a command whose function raises `error`
        def parse_args(self, argv):
            return argparse.Namespace(func=fail)

    monkeypatch.setattr(cli, "build_parser", Parser)
    assert cli.main(["suites"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(printed) and (err != "") == bool(printed)
