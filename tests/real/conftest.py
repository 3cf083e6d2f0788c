import pytest
import torch
from safetensors.torch import save_file


@pytest.fixture(scope="session")
def inception_state():
    """Random-weight state dict of torch-fidelity's InceptionV3."""
    from xmbench.extractors.inception import random_weights

    state = random_weights(seed=0)
    state["fc.bias"] = torch.linspace(-1.0, 1.0, 1008)  # non-zero, so that tests see whether logits include it
    return state


@pytest.fixture(scope="session")
def inception_file(inception_state, tmp_path_factory):
    """The random Inception saved as a plain torch file of tensors (torch-fidelity's .pth format)."""
    path = tmp_path_factory.mktemp("inception") / "random-inception.pth"
    torch.save(inception_state, path)
    return path


@pytest.fixture(scope="session")
def clip_file(tmp_path_factory):
    """A random-weight open_clip ViT-B-32 (QuickGELU) state dict saved as fp16 safetensors."""
    import open_clip

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model("ViT-B-32-quickgelu", pretrained=None)
    path = tmp_path_factory.mktemp("clip") / "random-clip.safetensors"
    save_file({k: v.detach().half().contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


@pytest.fixture(scope="session")
def inception(inception_file):
    """The inception-v3-fid extractor on the random weights."""
    from xmbench.extractors import get_extractor

    return get_extractor("inception-v3-fid", weights=inception_file)
