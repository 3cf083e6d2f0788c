"""`inception-v3-fid`: torch-fidelity's TF-compatible InceptionV3, the network behind standard FID / IS / KID.

The network is torch-fidelity's `FeatureExtractorInceptionV3` unchanged: uint8 input, TF1-compatible
bilinear resize to 299x299 (`interpolate_bilinear_2d_like_tensorflow1x`), (x - 128) / 128, pool3
features (2048-d) and the 1008-way logits. xmbench only replaces its weight loading (torch-fidelity
unpickles with weights_only=False): weights are fetched from torch-fidelity's own release URL and
verified (xmbench.extractors.standard_weights), read here with safetensors or weights_only=True, then
handed to torch-fidelity as a state dict serialised in memory.

`inception-v3-finetuned` is the same network with a user-supplied head of C classes, for the
StackGAN-era CUB / Oxford Inception Score (those papers fine-tuned Inception on the dataset).
"""

from __future__ import annotations

import io
import os

import torch
from torch import nn
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

from xmbench.errors import InputError
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.extractors.local_weights import fit_error, load_state_dict, resolve_weights
from xmbench.extractors.standard_weights import CATALOGUE
from xmbench.filehash import sha256_file
from xmbench.images import check_images

FILE_NAME = CATALOGUE["inception-v3-fid"].file_name  # weights-inception-2015-12-05-6726825d.pth
IMAGENET_CLASSES = 1008  # the TF 2015-12-05 graph's softmax width
INPUT_SIZE = FeatureExtractorInceptionV3.INPUT_IMAGE_SIZE
RESIZE = "tf1-bilinear"  # torch-fidelity's interpolate_bilinear_2d_like_tensorflow1x
FEATURE_DIM = 2048
SOURCE = f"torch-fidelity's release {CATALOGUE['inception-v3-fid'].url}"
FINETUNED_SOURCE = (
    "your Inception-v3 fine-tuned on the dataset (as StackGAN's inception_finetuned_models), "
    "converted to torch-fidelity's InceptionV3 state-dict layout with an fc of the dataset's classes"
)


def build_network(
    state: dict[str, torch.Tensor], *, biased_logits: bool, path: os.PathLike, extractor: str
) -> FeatureExtractorInceptionV3:
    """torch-fidelity's InceptionV3 holding `state` (fc may have any number of classes), eval mode, frozen.

    Outputs of the network: (pool3 features (N,2048), logits (N,C)); logits without the fc bias
    (torch-fidelity's "logits_unbiased") unless biased_logits.
    """
    fc_weight, fc_bias = state.get("fc.weight"), state.get("fc.bias")
    if fc_weight is None or fc_bias is None or fc_weight.ndim != 2 or fc_weight.shape[1] != FEATURE_DIM:
        raise fit_error(
            RuntimeError(f"\nfc.weight must be (classes, {FEATURE_DIM}) with fc.bias"),
            path,
            extractor,
            "torch-fidelity's InceptionV3",
        )
    n_classes = fc_weight.shape[0]
    if n_classes != IMAGENET_CLASSES:  # torch-fidelity builds a 1008-way fc: load a placeholder, swap the head after
        state = {
            **state,
            "fc.weight": torch.zeros(IMAGENET_CLASSES, FEATURE_DIM),
            "fc.bias": torch.zeros(IMAGENET_CLASSES),
        }
    buffer = io.BytesIO()
    torch.save(state, buffer)  # tensors we loaded safely; torch-fidelity unpickles only these bytes
    buffer.seek(0)
    try:
        net = FeatureExtractorInceptionV3(
            "inception-v3-compat",
            ["2048", "logits" if biased_logits else "logits_unbiased"],
            feature_extractor_weights_path=buffer,
        )
    except RuntimeError as e:
        raise fit_error(e, path, extractor, "torch-fidelity's InceptionV3") from None
    if n_classes != IMAGENET_CLASSES:
        net.fc = nn.Linear(FEATURE_DIM, n_classes)
        net.fc.load_state_dict({"weight": fc_weight, "bias": fc_bias})
        net.requires_grad_(False)
    return net.eval()


class UInt8Images(torch.utils.data.Dataset):
    """uint8 images (N,3,H,W) as the Dataset torch-fidelity's calculate_metrics accepts (for peer
    comparisons: tests and benchmarks); item i is the (3,H,W) tensor."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = check_images(images, name="UInt8Images")

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def random_weights(seed: int = 0) -> dict[str, torch.Tensor]:
    """A random-weight state dict for torch-fidelity's InceptionV3 (tests and benchmarks; no download).

    The layout comes from torchvision's Inception-v3 (its parameter names match torch-fidelity's);
    convolutions get He-normal weights so that activations neither vanish nor overflow through the
    batch norms' identity statistics (pool3 features come out O(0.1-1)). Global RNG state is untouched.
    """
    from torchvision.models import inception_v3

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=IMAGENET_CLASSES)
        for module in net.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=FEATURE_DIM**-0.5)
                nn.init.zeros_(module.bias)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


class InceptionExtractor(Extractor):
    """torch-fidelity's InceptionV3. images(): uint8 (N,3,H,W), any H,W (TF1-bilinear to 299) ->
    {"features": float32 (N,2048) pool3, "logits": float32 (N,C)}.

    weights: path of the state dict (.pth with tensors only, or .safetensors); None: $XMBENCH_HOME/weights/<file_name>.
    biased_logits: include the fc bias in "logits". The ImageNet network leaves it out, as the original
    Inception Score code and torch-fidelity do; StackGAN's fine-tuned-network IS kept it.
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        device: str | torch.device = "cpu",
        *,
        extractor_id: str = "inception-v3-fid",
        file_name: str = FILE_NAME,
        source: str = SOURCE,
        biased_logits: bool = False,
    ) -> None:
        path = resolve_weights(weights, extractor=extractor_id, file_name=file_name, source=source)
        state = load_state_dict(path, extractor_id)
        self._net = build_network(state, biased_logits=biased_logits, path=path, extractor=extractor_id)
        self._device = torch.device(device)
        self._net.to(self._device)
        self.n_classes = self._net.fc.out_features
        self.info = ExtractorInfo(
            id=extractor_id,
            weights_hash=sha256_file(path),
            input_size=INPUT_SIZE,
            resize=RESIZE,
            feature_dim=FEATURE_DIM,
            yields=frozenset({"features", "logits"}),
        )

    @property
    def device(self) -> torch.device:
        return self._device

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        images = check_images(images, name=f"{self.info.id} input")
        features, logits = self._net(images.to(self._device))
        return {"features": features, "logits": logits}


def finetuned(
    weights: str | os.PathLike | None = None, device: str | torch.device = "cpu", suite: str = "cub"
) -> InceptionExtractor:
    """The `inception-v3-finetuned` extractor: your Inception-v3 fine-tuned on `suite` (file
    inception-v3-finetuned-<suite>.safetensors), with the biased logits of StackGAN's models."""
    if not suite.isidentifier():
        raise InputError(f"inception-v3-finetuned: suite must be a plain name such as 'cub', got {suite!r}")
    return InceptionExtractor(
        weights,
        device,
        extractor_id="inception-v3-finetuned",
        file_name=f"inception-v3-finetuned-{suite}.safetensors",
        source=FINETUNED_SOURCE,
        biased_logits=True,
    )
