import pytest
import torch

# Two cores: keep torch from oversubscribing them when tests run beside other work.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    """Files under tests/ are tests, not doctest modules: `--doctest-modules` (pyproject.toml) is meant for
    xmbench/ and baselines/, and importing the several tests/**/conftest.py as doctest modules clashes by name."""
    collected = yield
    return [c for c in collected if type(c).__name__ != "DoctestModule"]


@pytest.fixture(scope="session")
def shapes():
    from xmbench.data.shapes import ShapesSuite

    return ShapesSuite()


@pytest.fixture(autouse=True, scope="session")
def offline_weights():
    """Tests never download: missing standard weights give the offline error (subprocesses inherit it).
    Tests of the download set up their own server on 127.0.0.1 and lift this for themselves."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XMBENCH_OFFLINE", "1")
    yield
    mp.undo()
