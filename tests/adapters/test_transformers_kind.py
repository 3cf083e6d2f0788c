"""The transformers model kind: captions deterministic per image whatever the batching (greedy, beams
and sampling), every option recorded, and each mistake one line before any work."""

import pytest
import torch
from tiny_hf import run_model

from xmbench.adapters.hub import locate
from xmbench.adapters.transformers import TransformersCaptioner
from xmbench.results import read_record


@pytest.fixture(scope="module")
def images(shapes):
    return shapes.batch("test", range(4)).images


@pytest.mark.parametrize(
    "options",
    [{"max_new_tokens": 6}, {"num_beams": 2, "max_new_tokens": 5}, {"do_sample": True, "max_new_tokens": 6}],
)
def test_batch_size_and_chunk_order_never_change_a_caption(tiny_blip, images, options):
    captioner = TransformersCaptioner(locate(str(tiny_blip), None, "config.json"), batch_size=1, **options)
    captions = captioner.caption(images, seed=3)
    assert len(captions) == 4 and all(isinstance(c, str) and c for c in captions)
    captioner.batch_size = 3
    assert captioner.caption(images, seed=3) == captions
    later, first = captioner.caption(images[2:], seed=9), captioner.caption(images[:2], seed=8)
    assert captioner.caption(images[:2], seed=8) == first and captioner.caption(images[2:], seed=9) == later


def test_sampling_follows_the_seed_and_leaves_the_global_random_state(tiny_blip, images):
    captioner = TransformersCaptioner(locate(str(tiny_blip), None, "config.json"), do_sample=True, max_new_tokens=8)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    runs = {s: captioner.caption(images[:1].repeat(4, 1, 1, 1), seed=s) for s in (1, 1, 2)}
    assert torch.equal(torch.get_rng_state(), state)
    assert len(set(runs[1])) > 1  # the same image, other sample indices: other draws
    assert runs[1] != runs[2]


def test_a_vision_encoder_decoder_captions_with_the_tokenizer_beside_its_image_processor(tiny_vit_gpt2, images):
    captioner = TransformersCaptioner(locate(str(tiny_vit_gpt2), None, "config.json"), max_new_tokens=5, batch_size=3)
    captions = captioner.caption(images, seed=0)
    assert len(captions) == 4 and all(isinstance(c, str) for c in captions)
    captioner.batch_size = 1
    assert captioner.caption(images, seed=0) == captions


def test_a_conditional_prompt_is_not_part_of_the_caption(tiny_blip, images):
    captioner = TransformersCaptioner(locate(str(tiny_blip), None, "config.json"), prompt="there is", max_new_tokens=4)
    assert not any(c.startswith("there is") for c in captioner.caption(images[:2], seed=0))


@pytest.mark.slow
def test_a_run_records_the_model_its_files_and_every_option(tiny_blip, tmp_path):
    options = '{ num_beams = 2, max_new_tokens = 6, prompt = "a", batch_size = 3 }'
    assert run_model(tmp_path, f'transformers = "{tiny_blip}"\noptions = {options}\n', "image-to-text")[0] == 0
    (path,) = (tmp_path / "out" / "results").glob("tiny--*.json")
    record = read_record(path)
    model = record["model"]
    assert model["kind"] == "transformers" and "bleu_4" in record["metrics"]
    hf = model["hf"]
    assert hf["library"] == "transformers" and hf["local_path"] == str(tiny_blip.resolve())
    assert hf["options"] == {
        "num_beams": 2,
        "max_new_tokens": 6,
        "do_sample": None,
        "prompt": "a",
        "dtype": "float32",
        "revision": None,
        "batch_size": 3,
    }


@pytest.mark.parametrize(
    ("model", "task", "message"),
    [
        ('transformers = "some-org/captioner"\n', "image-to-text", "huggingface-cli download some-org/captioner"),
        ('transformers = "TINY"\n', "text-to-image", "captions images: it serves image-to-text runs"),
        ('transformers = "TINY"\noptions = { num_beam = 2 }\n', "image-to-text", "did you mean 'num_beams'"),
        ('transformers = "TINY"\noptions = { do_sample = 1 }\n', "image-to-text", "do_sample of a transformers model"),
    ],
)
def test_each_mistake_is_one_line_before_any_work(tiny_blip, tmp_path, capsys, model, task, message):
    code, config = run_model(tmp_path, model.replace("TINY", str(tiny_blip)), task)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err and f"{config}:" in err, err
    assert not (tmp_path / "out" / "results").exists()
