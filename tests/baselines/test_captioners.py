"""The captioning baselines: decoding (greedy = beam 1, beam search against exhaustive search), the
Captioner contract, training determinism and resume, the shared-latent model's two directions, the
retrieval captioner against brute force, and registration."""

import itertools
import json

import pytest
import safetensors.torch
import torch

from baselines.captioners import TRAINABLE_CAPTIONERS
from baselines.captioners.decoding import beam_search, greedy
from baselines.captioners.retrieval import RetrievalCaptioner, pixel_features
from baselines.captioners.vocab import END, PAD, CaptionVocab
from baselines.checkpoint import load_checkpoint
from baselines.training import train_baseline
from xmbench.errors import InputError

NAMES = sorted(TRAINABLE_CAPTIONERS)
#: options that make every captioner tiny and fast
TINY = {"width": 4, "embed": 8, "hidden": 8, "batch_size": 4}
TINY_EXTRA = {"show-attend-tell": {"attention": 8, "grid": 8}, "shared-latent": {"latent": 8}}


def tiny_options(name):
    return {**TINY, **TINY_EXTRA.get(name, {})}


@pytest.fixture
def images(suite):
    return suite.batch("test", range(6)).images


def make(name, captions):
    torch.manual_seed(0)
    return TRAINABLE_CAPTIONERS[name].from_captions(captions, 32, **tiny_options(name))


# ---- decoding --------------------------------------------------------------------------------
def markov_step(table):
    """A decoder whose next-token log-probabilities depend only on the previous token."""

    def step(tokens, state):
        return table[tokens], state

    return step


def exhaustive_best(table, max_len):
    """The highest-scoring END-terminated sequence (or max_len tokens) by enumeration."""
    best, best_score = None, float("-inf")
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(table.shape[0]), repeat=length):
            if any(t == END for t in seq[:-1]) or (seq[-1] != END and length < max_len):
                continue
            prev, score = END, 0.0
            for t in seq:
                score, prev = score + float(table[prev, t]), t
            if score > best_score:
                best, best_score = list(seq), score
    return best


def test_beam_search_finds_what_greedy_misses():
    # from the start, token 2 is likelier (0.6) but leads nowhere certain; token 3 (0.4) then END surely
    p = torch.full((4, 4), 1e-9)
    p[END, 2], p[END, 3] = 0.6, 0.4
    p[2, :] = torch.tensor([1e-9, 0.3, 0.35, 0.35])
    p[3, END] = 1.0
    table = (p / p.sum(1, keepdim=True)).log()
    state = (torch.zeros(1, 1),)
    assert greedy(markov_step(table), state, 3).tolist() == [[2, 2, 2]]
    assert beam_search(markov_step(table), state, 3, beam=2).tolist() == [[3, END, PAD]]
    assert beam_search(markov_step(table), state, 3, beam=1).tolist() == [[2, 2, 2]]


@pytest.mark.parametrize("seed", range(5))
def test_wide_beam_equals_exhaustive_search(seed):
    g = torch.Generator().manual_seed(seed)
    table = torch.log_softmax(3 * torch.randn(4, 4, generator=g), 1)
    best = exhaustive_best(table, 4)
    found = beam_search(markov_step(table), (torch.zeros(1, 1),), 4, beam=4**4)[0].tolist()
    assert found[: len(best)] == best and all(t == PAD for t in found[len(best) :])


@pytest.mark.parametrize("name", NAMES)
def test_greedy_is_beam_one(name, suite, images):
    train = suite.captions("train", range(64))
    model = make(name, train).eval()
    x = images.float().div(127.5).sub(1)
    with torch.no_grad():
        g = greedy(model.decoder_step, model.decoder_start(x), model.max_len)
        b = beam_search(model.decoder_step, model.decoder_start(x), model.max_len, beam=1)
    assert torch.equal(g, b)
    assert model.caption(images, 0, beam=1) == model.tokenizer.decode(g)


def test_vocab_round_trip_keeps_commas(suite):
    captions = suite.captions("train", range(200))
    vocab = CaptionVocab.from_captions(captions)
    ids = vocab.encode(captions, vocab.max_tokens(captions))
    assert vocab.decode(ids) == captions
    assert (ids == END).sum(1).tolist() == [1] * len(captions)


# ---- the Captioner contract ------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_caption_contract(name, suite, images):
    model = make(name, suite.captions("train", range(64)))
    out = model.caption(images, seed=3)
    assert isinstance(out, list) and len(out) == len(images) and all(isinstance(c, str) for c in out)
    assert model.caption(images, seed=3) == out  # deterministic
    assert model.caption(images[:2], 3) + model.caption(images[2:], 3) == out  # batch-independent
    assert model.caption(images[:0], 3) == []
    with pytest.raises(InputError, match="trained at 32x32"):
        model.caption(torch.zeros(1, 3, 16, 16, dtype=torch.uint8), 0)
    with pytest.raises(InputError, match="beam must be >= 1"):
        model.caption(images, 0, beam=0)


# ---- training --------------------------------------------------------------------------------
@pytest.fixture
def run():
    return dict(train_limit=16, checkpoint_every=2, quiet=True, samples=0)


@pytest.mark.parametrize("name", NAMES)
def test_training_is_deterministic_and_resume_equals_uninterrupted(tmp_path, suite, name, run):
    options = {**run, **tiny_options(name)}
    full = train_baseline(name, suite, tmp_path / "full", steps=4, **options)
    again = train_baseline(name, suite, tmp_path / "again", steps=4, **options)
    train_baseline(name, suite, tmp_path / "cut", steps=2, **options)  # "killed" after the step-2 checkpoint
    resumed = train_baseline(name, suite, tmp_path / "cut", steps=4, **options)
    for file in ("model.safetensors", "optimizer.safetensors"):
        a = safetensors.torch.load_file(str(full / file))
        for other in (again, resumed):
            b = safetensors.torch.load_file(str(other / file))
            assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    first = safetensors.torch.load_file(str(tmp_path / "cut" / "checkpoints" / "step-0000002" / "model.safetensors"))
    final = safetensors.torch.load_file(str(full / "model.safetensors"))
    assert any(not torch.equal(first[k], final[k]) for k in first)  # the steps after the cut did train
    rows = json.loads((tmp_path / "cut" / "curves.json").read_text())
    assert [r["step"] for r in rows] == [2, 4] and "loss" in rows[-1]


def test_checkpoint_round_trip_and_sample_grid(tmp_path, suite, run, images):
    path = train_baseline("show-attend-tell", suite, tmp_path / "run", steps=2, **{**run, "samples": 4}, **TINY)
    model = load_checkpoint(tmp_path / "run", baseline="show-attend-tell")
    again = load_checkpoint(path / "model.safetensors")
    assert model.caption(images, 0) == again.caption(images, 0)
    assert model.config()["version"] == model.VERSION
    assert (tmp_path / "run" / "samples" / "step-0000002.png").read_bytes()[:4] == b"\x89PNG"


# ---- the shared-latent model: both directions ------------------------------------------------
@pytest.mark.parametrize("grid", [False, True])
def test_shared_latent_generates_and_captions(tmp_path, suite, run, images, grid):
    options = {**tiny_options("shared-latent"), "grid": grid}
    path = train_baseline("shared-latent", suite, tmp_path / "run", steps=2, **run, **options)
    model = load_checkpoint(path)
    captions = suite.captions("test", range(5))
    generated = model.generate(captions, seed=0)
    assert generated.dtype == torch.uint8 and generated.shape == (5, 3, 32, 32)
    assert torch.equal(model.generate(captions, seed=0), generated)
    assert torch.equal(model.generate(captions[:2], 0), generated[:2])  # batch-independent
    assert model.generate([], 0).shape == (0, 3, 32, 32)
    assert not torch.equal(generated[0], generated[1])  # the caption reaches the image
    assert len(model.caption(images, 0)) == len(images)
    # both directions meet in one latent space: a caption's and its image's latents are what is aligned
    with torch.no_grad():
        z_image = model.image_latent(images.float().div(127.5).sub(1))
        z_text = model.text_latent(model.tokenizer.encode(suite.captions("test", range(6)), model.max_len))
    cells = (16,) if grid else ()
    assert z_image.shape == z_text.shape == (6, *cells, model.options["latent"])
    assert model.options["grid"] is grid  # the checkpoint keeps the latent's form


# ---- the retrieval captioner -----------------------------------------------------------------
def test_retrieval_against_brute_force(suite):
    model = RetrievalCaptioner(suite, components=16, limit=300)
    train = suite.batch("train", range(300))
    assert model.caption(train.images[:20], 0) == train.captions[:20]  # an image is its own nearest
    x = pixel_features(train.images)
    centred = x - x.mean(0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)  # principal axes, up to sign
    bank, query = centred @ v[:16].T, (pixel_features(suite.batch("test", range(50)).images) - x.mean(0)) @ v[:16].T
    expected = torch.cdist(query, bank).argmin(1)
    assert torch.equal(model.nearest(suite.batch("test", range(50)).images), expected)
    with pytest.raises(InputError, match="components must be between"):
        RetrievalCaptioner(suite, components=0, limit=30)


# ---- registration ----------------------------------------------------------------------------
def test_registered_and_trainable_by_name(tmp_path, suite, run):
    from baselines.registry import baseline_class
    from xmbench.captioner import load_captioner
    from xmbench.generator import load_generator
    from xmbench.registry import BASELINES, CAPTIONERS, GENERATORS

    assert set(NAMES) | {"retrieval"} <= set(CAPTIONERS.names())
    assert "shared-latent" in GENERATORS  # it generates images too
    assert set(NAMES) <= set(BASELINES.names())  # trainable like the GANs (the runner trains them)
    assert all(baseline_class(n) is TRAINABLE_CAPTIONERS[n] for n in NAMES)
    with pytest.raises(InputError, match="did you mean 'show-and-tell'"):
        baseline_class("show-and-tel")
    path = train_baseline("show-and-tell", suite, tmp_path / "run", steps=1, **run, **TINY)
    captioner = load_captioner("show-and-tell", checkpoint=str(path), beam=1)
    assert len(captioner.caption(suite.batch("test", range(3)).images, 0)) == 3
    path = train_baseline("shared-latent", suite, tmp_path / "both", steps=1, **run, **tiny_options("shared-latent"))
    generator = load_generator("shared-latent", resolution=32, checkpoint=str(path))
    assert generator.generate(["a red circle in the top left"], 0).shape == (1, 3, 32, 32)


# ---- the shipped reference captioners --------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_shipped_recipe_round_trips_and_loads(name, suite):
    from baselines import training
    from baselines.captioners.loading import trained_captioner
    from baselines.checkpoint import read_config
    from baselines.registry import baseline_class
    from baselines.shipped import find_shipped, get_shipped, training_arguments

    shipped = get_shipped(name)
    assert shipped.meta["task"] == "image-to-text" and shipped.meta["cost"]["cpu_s"] <= 45 * 60  # the training budget
    args = training_arguments(shipped.recipe)
    config = read_config(shipped.file)
    model = baseline_class(name)(config["vocab"], suite.resolution, config["max_len"], **args["options"])
    assert args["options"] == {k: v for k, v in baseline_class(name).defaults().items() if k != "steps"}
    assert args["steps"] == baseline_class(name).DEFAULTS["steps"]  # the defaults are the shipped recipe
    identity = training._identity(model, suite, args["seed"])
    assert find_shipped(name, identity["options"], args["steps"], args["seed"], suite.protocol()) == shipped
    assert shipped.recipe["baseline_version"] == baseline_class(name).VERSION
    captioner = trained_captioner(name)
    assert int(captioner.steps_done) == args["steps"]
    assert len(captioner.caption(suite.batch("test", range(3)).images, 0)) == 3


def test_shipped_shared_latent_works_both_ways(suite):
    """Both directions carry the scene's layout (what this budget reached; see docs/baselines/captioners.md):
    image -> text names the right number of objects, text -> image puts the object where the caption says."""
    from baselines.captioners.loading import trained_captioner
    from xmbench.metrics.captioning.correctness import correctness_scores, judge_captions

    model = trained_captioner("shared-latent")
    batch = suite.batch("test", range(300))
    scores = correctness_scores(judge_captions(model.caption(batch.images, 0), batch.attributes))
    assert scores["caption_correctness_count"] > 0.95 and scores["caption_parse_rate"] == 1.0
    for corner, other in (("top left", "bottom right"), ("bottom right", "top left")):
        image = model.generate([f"a large red circle in the {corner}"], 0)[0].float()
        contrast = (image - image.mean((1, 2), keepdim=True)).abs().sum(0)  # (32, 32)
        quadrant = {"top left": contrast[:16, :16].sum(), "bottom right": contrast[16:, 16:].sum()}
        assert quadrant[corner] > 2 * quadrant[other]
