import pytest
import torch

from xmbench.data.shapes import ShapesSuite

CAPTIONS = [
    "a red circle at the top left",
    "a big blue square and a small green cross left of it",
    "there is one tiny crimson disk at the upper left",
    "a golden box",
]


@pytest.fixture(autouse=True)
def _isolated_cache_one_thread(tmp_path_factory, monkeypatch):
    """A private cache; one intra-op thread (tiny nets gain nothing from two, and a busy machine
    makes every parallel region wait for a descheduled thread)."""
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path_factory.getbasetemp() / "xmbench-home"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def suite():
    return ShapesSuite()


#: options that make every baseline tiny and fast
TINY = {"batch_size": 4, "ngf": 4, "ndf": 4, "text_dim": 8, "nz": 4}


@pytest.fixture
def captions():
    return list(CAPTIONS)


@pytest.fixture
def tiny_options():
    return dict(TINY)


@pytest.fixture
def tiny(suite):
    """tiny(name, **options) -> an untrained tiny baseline with a vocabulary from CAPTIONS."""
    from baselines.registry import get_baseline

    def make(name: str, suite=suite, **options):
        torch.manual_seed(0)
        return get_baseline(name, suite, captions=CAPTIONS, **{**TINY, **options})

    return make
