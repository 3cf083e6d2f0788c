import json

import pytest
from record_factory import make_record

from xmbench.errors import InputError
from xmbench.results import protocol_key, read_record, record_filename, write_record


def test_write_read_roundtrip(tmp_path):
    rec = make_record("dfgan")
    path = write_record(tmp_path / record_filename(rec), rec)
    assert path.name.startswith("dfgan--shapes--") and path.suffix == ".json"
    assert read_record(path) == rec
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_protocol_key_ignores_model_but_not_protocol():
    a, b = make_record("a"), make_record("b", {"fd_shapes": 99.0})
    assert protocol_key(a) == protocol_key(b)
    assert protocol_key(a) != protocol_key(make_record("a", samples=64))
    assert protocol_key(a) != protocol_key(make_record("a", suite="cub"))


def test_write_refuses_an_invalid_record(tmp_path):
    rec = make_record("x")
    rec["metrics"]["fd_shapes"]["ci_low"] = 99.0  # interval above the value's upper bound
    with pytest.raises(InputError, match="invalid confidence interval"):
        write_record(tmp_path / "x.json", rec)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.pop("schema"), "is not an xmbench result record"),
        (lambda r: r.update(schema_version=99), "schema version 99"),
        (lambda r: r.pop("metrics"), "field 'metrics' is missing"),
        (lambda r: r["model"].update(kind="magic"), "model.kind 'magic'"),
        (lambda r: r["metrics"]["fd_shapes"].pop("n"), "metric 'fd_shapes' field 'n'"),
        (lambda r: r["metrics"]["fd_shapes"].update(value=float("nan")), "non-finite"),
        (lambda r: r["metrics"]["fd_shapes"].update(bootstrap=["x"]), "'bootstrap' must be a list of numbers"),
    ],
)
def test_validation_names_the_problem(tmp_path, mutate, message):
    rec = make_record("x")
    mutate(rec)
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rec))
    with pytest.raises(InputError, match=message) as e:
        read_record(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)
