import pytest
import torch

# Two cores: keep torch from oversubscribing them when tests run beside other work.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope="session")
def shapes():
    from xmbench.data.shapes import ShapesSuite

    return ShapesSuite()
