"""The diffusers model kind: deterministic per sample whatever the batching, every option recorded,
and each mistake (offline, wrong task, unknown option) one line before any work."""

import pytest
import torch
from tiny_hf import run_model

from xmbench.adapters.diffusers import DiffusersGenerator
from xmbench.adapters.hub import locate
from xmbench.results import read_record

CAPTIONS = ["a big red circle", "a small blue square", "a big red circle", "a tiny green cross"]


def test_batch_size_and_chunk_order_never_change_an_image(tiny_sd):
    files = locate(str(tiny_sd), None, "model_index.json")
    one = DiffusersGenerator(files, 32, num_inference_steps=2, batch_size=1)
    images = one.generate(CAPTIONS, seed=5)
    assert images.dtype == torch.uint8 and images.shape == (4, 3, 32, 32)  # 8x8 resized to the suite's 32x32
    one.batch_size = 3
    assert torch.equal(one.generate(CAPTIONS, seed=5), images)
    assert not torch.equal(images[0], images[2])  # the same caption, another sample index: other noise
    assert not torch.equal(one.generate(CAPTIONS, seed=6), images)
    # chunks generated in another order (as ranks do under torchrun) give the same images
    later, first = one.generate(CAPTIONS[2:], seed=8), one.generate(CAPTIONS[:2], seed=7)
    fresh = DiffusersGenerator(files, 32, num_inference_steps=2, batch_size=2)
    assert torch.equal(fresh.generate(CAPTIONS[:2], seed=7), first)
    assert torch.equal(fresh.generate(CAPTIONS[2:], seed=8), later)


@pytest.mark.slow
def test_a_run_records_the_model_its_files_and_every_option(tiny_sd, tmp_path):
    options = (
        '{ num_inference_steps = 2, guidance_scale = 2.0, negative_prompt = "blurry", '
        'scheduler = "EulerDiscreteScheduler", batch_size = 3 }'
    )
    code, _ = run_model(tmp_path, f'diffusers = "{tiny_sd}"\noptions = {options}\n', "text-to-image")
    assert code == 0
    (path,) = (tmp_path / "out" / "results").glob("tiny--*.json")
    model = read_record(path)["model"]
    assert model["kind"] == "diffusers" and model["source"] == str(tiny_sd)
    hf = model["hf"]
    assert hf["library"] == "diffusers" and hf["local_path"] == str(tiny_sd.resolve()) and len(hf["files_sha256"]) == 64
    assert hf["scheduler"] == "EulerDiscreteScheduler" and "bilinear" in hf["resize"]
    assert hf["options"]["num_inference_steps"] == 2 and hf["options"]["negative_prompt"] == "blurry"
    assert hf["options"]["dtype"] == "float32" and hf["options"]["height"] is None


@pytest.mark.parametrize(
    ("model", "task", "message"),
    [
        ('diffusers = "some-org/some-model"\n', "text-to-image", "huggingface-cli download some-org/some-model"),
        ('diffusers = "./missing-folder"\n', "text-to-image", "model folder ./missing-folder does not exist"),
        ('diffusers = "TINY"\n', "image-to-text", "generates images: it serves text-to-image runs"),
        (
            'diffusers = "TINY"\noptions = { num_inference_step = 2 }\n',
            "text-to-image",
            "did you mean 'num_inference_steps'",
        ),
        ('diffusers = "TINY"\noptions = { scheduler = "DDIMSchedular" }\n', "text-to-image", "'DDIMScheduler'"),
        ('diffusers = "TINY"\noptions = { dtype = "float8" }\n', "text-to-image", "unknown dtype"),
    ],
)
def test_each_mistake_is_one_line_before_any_work(tiny_sd, tmp_path, capsys, model, task, message):
    code, config = run_model(tmp_path, model.replace("TINY", str(tiny_sd)), task)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err and f"{config}:" in err, err
    assert not (tmp_path / "out" / "results").exists()
