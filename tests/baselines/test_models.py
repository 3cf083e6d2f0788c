"""Every baseline and loss trains a few steps with finite losses; the Generator contract holds."""

import pytest
import torch

from baselines.losses import LOSSES
from baselines.registry import BASELINES


def _steps(model, n=2, captions=None):
    rng = torch.Generator().manual_seed(0)
    images = torch.rand(4, 3, model.resolution, model.resolution) * 2 - 1
    ids = model.tokenizer.encode(
        captions or ["a red circle", "a blue box", "a tiny lime plus", "a big cross"], model.max_len
    )
    return [model.train_step(images, ids, rng) for _ in range(n)]


@pytest.mark.parametrize("text_encoder", ["pretrained", "joint"])
@pytest.mark.parametrize("name", sorted(n for n in BASELINES if callable(getattr(BASELINES.get(n), "g_forward", None))))
def test_baseline_trains_and_generates(name, text_encoder, suite, tiny, captions):
    model = tiny(name, suite, text_encoder=text_encoder)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for logs in _steps(model):
        assert logs and all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    changed = [k for k, v in model.state_dict().items() if v.is_floating_point() and not torch.equal(v, before[k])]
    assert any(k.startswith("g.") for k in changed) and any(k.startswith("d.") for k in changed)
    # joint: trained through D; pretrained: frozen (its weights come from baselines.text_pretrain)
    assert any(k.startswith("encoder.") for k in changed) == (text_encoder == "joint")
    out = model.generate(captions, seed=3)
    assert out.dtype == torch.uint8 and out.shape == (4, 3, 32, 32)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_trains_gan_int_cls(loss, suite, tiny, captions):
    model = tiny("gan-int-cls", suite, loss=loss)
    for logs in _steps(model):
        assert all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    if loss == "wgan":
        assert max(p.abs().max().item() for p in model.d.parameters()) <= 0.01


def test_generate_is_seeded_and_batch_independent(suite, tiny, captions):
    model = tiny("stackgan", suite)
    _steps(model, 1)
    many = captions * 3
    full = model.generate(many, seed=7)
    assert torch.equal(full, model.generate(many, seed=7))
    assert not torch.equal(full, model.generate(many, seed=8))
    # sample i depends on (seed, i) only: a prefix of the list gives the same images
    assert torch.equal(full[:5], model.generate(many[:5], seed=7))
    assert model.training  # generate restores the mode


def test_resolution_64(suite, tiny, captions):
    from xmbench.data.shapes import ShapesSuite

    model = tiny("dfgan", suite=ShapesSuite(resolution=64))
    _steps(model, 1)
    assert model.generate(captions[:2], seed=0).shape == (2, 3, 64, 64)


def test_ema_tracks_generator(suite, tiny, captions):
    model = tiny("gan-int-cls", suite, ema=0.5)
    ema0 = [p.clone() for p in model.g_ema.parameters()]
    _steps(model, 1)
    g = list(model.g.parameters())
    # one step: ema = 0.5 * ema0 + 0.5 * g
    for e, e0, p in zip(model.g_ema.parameters(), ema0, g, strict=False):
        assert torch.allclose(e, 0.5 * e0 + 0.5 * p, atol=1e-6)


def test_ema_generator_gets_its_own_batch_norm_statistics(suite, tiny, captions):
    model = tiny("gan-int-cls", suite, ema=0.5)
    _steps(model, 2)
    ids = model.tokenizer.encode(captions[:20], model.max_len)
    model.refresh_ema_statistics(ids, seed=3)
    # independent reference: the batch-norm inputs of the EMA generator on the same captions and noise
    inputs = {}
    norms = {name: m for name, m in model.g_ema.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    hooks = [
        m.register_forward_pre_hook(lambda m, a, name=name: inputs.__setitem__(name, a[0])) for name, m in norms.items()
    ]
    with torch.no_grad():
        from baselines.base import sample_noise

        model.g_forward(model.g_ema, model.encoder(ids), sample_noise(3, 0, len(ids), model.noise_numel))
    for h in hooks:
        h.remove()
    assert norms
    for name, m in norms.items():
        x = inputs[name].transpose(0, 1).flatten(1)  # (channels, N·H·W)
        assert torch.allclose(m.running_mean, x.mean(1), atol=1e-5), name
        assert torch.allclose(m.running_var, x.var(1, unbiased=True), rtol=1e-4, atol=1e-6), name
        assert m.momentum == 0.1  # restored after the refresh
    live = {n: b for n, b in model.g.named_buffers() if n.endswith("running_mean")}
    assert any(not torch.equal(live[n], b) for n, b in model.g_ema.named_buffers() if n in live)


def test_unknown_option_and_names(suite, tiny, captions):
    from baselines.registry import get_baseline, get_calibration
    from xmbench.errors import InputError

    with pytest.raises(InputError, match="did you mean 'dfgan'"):
        get_baseline("dfgn", suite, captions=captions)
    with pytest.raises(InputError, match="did you mean 'batch_size'"):
        get_baseline("dfgan", suite, captions=captions, batch_sise=3)
    with pytest.raises(InputError, match="calibration generator"):
        get_baseline("noise", suite, captions=captions)
    with pytest.raises(InputError, match="did you mean 'retrieval'"):
        get_calibration("retreival", suite)
