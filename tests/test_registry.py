"""The generic registry: decorator and direct registration, lazy imports, entry points, did-you-mean."""

import sys
import textwrap

import pytest

from xmbench.errors import InputError
from xmbench.registry import BASELINES, CALIBRATION, EXTRACTORS, GENERATORS, METRICS, SUITES, Registry


def test_decorator_and_direct_registration_keep_order_and_summaries():
    reg = Registry("widget")

    @reg.register("b", summary="the b widget")
    def make_b():
        return "b"

    reg.register("a", len, summary="builtin len")
    assert make_b() == "b"  # the decorator returns the function unchanged
    assert reg.names() == ["b", "a"]
    assert reg.summaries() == {"b": "the b widget", "a": "builtin len"}
    assert reg.get("b") is make_b and reg.get("a") is len
    assert "a" in reg and "c" not in reg and list(reg) == ["b", "a"] and len(reg) == 2
    reg.remove("a")
    assert reg.names() == ["b"]


def test_a_taken_name_is_refused_but_repeating_a_registration_is_not():
    reg = Registry("widget")
    reg.register("x", len)
    reg.register("x", len)  # same object again: e.g. a module imported twice
    with pytest.raises(InputError, match=r"widget 'x' is already registered \(built-in\)"):
        reg.register("x", abs)
    reg.register("y", lazy="math:sqrt")
    with pytest.raises(InputError, match="already registered"):
        reg.register("y", lazy="math:floor")
    with pytest.raises(InputError, match="not both"):
        reg.register("z", len, lazy="math:sqrt")


def test_lazy_entries_import_on_first_get_only(tmp_path, monkeypatch):
    (tmp_path / "lazy_widget_mod.py").write_text("VALUE = object()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry("widget")
    reg.register("w", lazy="lazy_widget_mod:VALUE", summary="lazy")
    assert reg.summaries() == {"w": "lazy"}
    assert "lazy_widget_mod" not in sys.modules  # listing does not import
    try:
        value = reg.get("w")
        assert value is sys.modules["lazy_widget_mod"].VALUE
        assert reg.get("w") is value
    finally:
        sys.modules.pop("lazy_widget_mod", None)


def test_a_broken_lazy_path_is_one_input_error():
    reg = Registry("widget")
    reg.register("gone", lazy="no_such_module_xyz:thing")
    reg.register("typo", lazy="math:sqrtt")
    with pytest.raises(InputError, match=r"cannot load widget 'gone' from 'no_such_module_xyz:thing'"):
        reg.get("gone")
    with pytest.raises(InputError, match=r"cannot load widget 'typo' from 'math:sqrtt'.*sqrtt"):
        reg.get("typo")


def test_unknown_names_suggest_close_ones():
    reg = Registry("widget")
    for name in ("alpha", "beta", "gamma"):
        reg.register(name, name)
    with pytest.raises(InputError, match=r"unknown widget 'alpah'; did you mean 'alpha'\?"):
        reg.get("alpah")
    with pytest.raises(InputError, match=r"unknown widget 'zzz'; known: alpha, beta, gamma"):
        reg.get("zzz")


def _install_plugin(tmp_path, monkeypatch, group: str, lines: list[str]) -> None:
    """A distribution 'xmbench-test-plugin' with entry points in `group`, found through sys.path."""
    (tmp_path / "plugin_widgets.py").write_text("def make(**options):\n    return ('made', options)\nOTHER = 'x'\n")
    dist = tmp_path / "xmbench_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: xmbench-test-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{group}]\n" + "\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "plugin_widgets", raising=False)


def test_entry_points_are_read_once_and_stay_lazy(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "xmbench.test_widgets", ["fancy = plugin_widgets:make"])
    reg = Registry("widget", "xmbench.test_widgets")
    reg.register("plain", len, summary="built-in")
    assert reg.summaries() == {"plain": "built-in", "fancy": "plugin from xmbench-test-plugin"}
    assert "plugin_widgets" not in sys.modules
    assert reg.get("fancy")(k=1) == ("made", {"k": 1})
    with pytest.raises(InputError, match="did you mean 'fancy'"):
        reg.get("fanci")


def test_a_plugin_cannot_shadow_a_built_in(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "xmbench.test_widgets", ["plain = plugin_widgets:OTHER"])
    reg = Registry("widget", "xmbench.test_widgets")
    reg.register("plain", len)
    with pytest.warns(UserWarning, match="entry point 'plain' of xmbench-test-plugin .* is ignored"):
        assert reg.get("plain") is len


def test_a_user_generator_loads_by_entry_point(tmp_path, monkeypatch):
    (tmp_path / "plugin_gen.py").write_text(
        textwrap.dedent(
            """
            import torch

            class Gen:
                def generate(self, captions, seed):
                    return torch.zeros(len(captions), 3, 8, 8, dtype=torch.uint8)
            """
        )
    )
    dist = tmp_path / "plugin_gen-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-gen\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[xmbench.generators]\nzeros = plugin_gen:Gen\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(GENERATORS, "_entries", {})
    monkeypatch.setattr(GENERATORS, "_loaded", False)
    from xmbench.generator import load_generator

    images = load_generator("zeros", resolution=8).generate(["a", "b"], seed=0)
    assert images.shape == (2, 3, 8, 8)
    with pytest.raises(InputError, match="did you mean 'zeros'"):
        load_generator("zeroes")


def test_the_built_in_registries_hold_the_built_ins():
    assert SUITES.names()[0] == "shapes" and {"cub", "oxford", "coco2014", "coco2017"} <= set(SUITES.names())
    assert {"shapes-v1", "inception-v3-fid", "clip-vit-b-32"} <= set(EXTRACTORS.names())
    assert {"fd", "kid", "is", "prdc", "clip_score", "r_precision", "attribute_accuracy"} <= set(METRICS.names())
    assert BASELINES.names()[:3] == ["gan-int-cls", "stackgan", "dfgan"]  # then the captioners
    assert CALIBRATION.names() == ["real", "retrieval", "noise"]
    from xmbench.extractors.shapes_v1 import ShapesV1Extractor

    assert EXTRACTORS.get("shapes-v1") is ShapesV1Extractor
    with pytest.raises(InputError, match="unknown baseline 'dfgna'; did you mean 'dfgan'"):
        BASELINES.get("dfgna")
