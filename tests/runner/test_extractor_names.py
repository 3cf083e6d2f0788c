"""A run config names any extractor of a registered family (clip:ARCH/PRETRAINED) like a plain one."""

import pytest
import torch

from xmbench.errors import XmbenchError
from xmbench.runner import resolve
from xmbench.runner.config import parse_config

CONFIG = '[suite]\nname = "shapes"\n[evaluation]\nextractor = "{}"\n[[models]]\ncalibration = "noise"\n'


def test_a_family_name_passes_the_name_check(tmp_path, monkeypatch):
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path))
    config = parse_config(CONFIG.format("clip:ViT-B-32/laion2b_s34b_b79k"), "run.toml")
    with pytest.raises(XmbenchError) as caught:  # no weights here: the error is about them, not the name
        resolve.extractor(config, torch.device("cpu"))
    assert "unknown extractor" not in str(caught.value)
    unknown = parse_config(CONFIG.format("clipp:ViT-B-32/openai"), "run.toml")
    with pytest.raises(XmbenchError, match="run.toml:4: unknown extractor 'clipp:ViT-B-32/openai'"):
        resolve.extractor(unknown, torch.device("cpu"))


def test_all_includes_cmmd_only_on_its_protocol_extractor():
    default = parse_config(CONFIG.format("shapes-v1"), "run.toml")
    assert "cmmd" not in resolve.metric_names(default)
    cmmd = parse_config(CONFIG.format("clip:ViT-L-14-336/openai"), "run.toml")
    assert "cmmd" in resolve.metric_names(cmmd)
    asked = parse_config(CONFIG.format("shapes-v1").replace("[[models]]", 'metrics = ["cmmd"]\n[[models]]'), "r")
    assert resolve.metric_names(asked) == ["cmmd"]
