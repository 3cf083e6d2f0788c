import pytest
import torch
from tiny_hf import save_tiny_blip, save_tiny_stable_diffusion, save_tiny_vit_gpt2


@pytest.fixture(autouse=True, scope="session")
def hub_offline(tmp_path_factory):
    """The Hugging Face hub is never asked and its cache is an empty temporary folder (subprocesses too)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("HF_HUB_CACHE", str(tmp_path_factory.mktemp("hf-cache")))
    mp.setenv("XMBENCH_HOME", str(tmp_path_factory.mktemp("xmbench-home")))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the tiny models are faster so on the shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory):
    """A random Stable Diffusion pipeline of 8x8 images, saved to a folder."""
    return save_tiny_stable_diffusion(tmp_path_factory.mktemp("hf") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_blip(tmp_path_factory):
    """A random BLIP captioner with the shapes words as its vocabulary, saved to a folder."""
    return save_tiny_blip(tmp_path_factory.mktemp("hf") / "tiny-blip")


@pytest.fixture(scope="session")
def tiny_vit_gpt2(tmp_path_factory):
    """A random vision-encoder-decoder captioner (ViT + GPT-2), saved to a folder."""
    return save_tiny_vit_gpt2(tmp_path_factory.mktemp("hf") / "tiny-vit-gpt2")
