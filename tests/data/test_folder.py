import json

import numpy as np
import pytest
from PIL import Image

from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.errors import InputError


def _write_folder(root, n=3, size=16):
    rng = np.random.default_rng(0)
    lines, arrays = [], []
    for i in range(n):
        arr = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        Image.fromarray(arr).save(root / f"img{i}.png")
        arrays.append(arr)
        lines.append(json.dumps({"image": f"img{i}.png", "caption": f"caption {i}", "attributes": {"k": i}}))
    (root / "captions.jsonl").write_text("\n".join(lines) + "\n")
    return arrays


def test_folder_round_trip(tmp_path):
    arrays = _write_folder(tmp_path)
    suite = get_suite(f"folder:{tmp_path}")
    assert suite.splits == {"test": 3} and suite.resolution == 16
    batch = suite.batch("test", range(3))
    for k, arr in enumerate(arrays):
        assert np.array_equal(batch.images[k].permute(1, 2, 0).numpy(), arr)
    assert batch.captions == ["caption 0", "caption 1", "caption 2"]
    assert batch.attributes[2] == {"k": 2}


def test_folder_resize(tmp_path):
    _write_folder(tmp_path, size=20)
    assert get_suite(f"folder:{tmp_path}", resolution=8).get("test", 0).image.shape == (3, 8, 8)


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", r"captions.jsonl:2: not valid JSON"),
        ('{"image": "img0.png"}', r"captions.jsonl:2: field 'caption' must be a string \(it is missing\)"),
        ('{"image": "nope.png", "caption": "x"}', r"captions.jsonl:2: image 'nope.png' not found"),
        ('["img0.png", "x"]', r"captions.jsonl:2: expected a JSON object"),
    ],
)
def test_bad_jsonl_lines_name_file_and_line(tmp_path, line, message):
    _write_folder(tmp_path, n=1)
    with (tmp_path / "captions.jsonl").open("a") as f:
        f.write(line + "\n")
    with pytest.raises(InputError, match=message):
        get_suite(f"folder:{tmp_path}")


def test_missing_captions_file(tmp_path):
    with pytest.raises(InputError, match="captions.jsonl: not found"):
        get_suite(f"folder:{tmp_path}")


def test_corrupt_image_names_the_file(tmp_path):
    _write_folder(tmp_path)
    (tmp_path / "img1.png").write_bytes(b"\x89PNG truncated")
    suite = get_suite(f"folder:{tmp_path}")
    with pytest.raises(InputError, match=r"img1.png: cannot read image"):
        suite.validate()


def test_mixed_sizes_need_resolution(tmp_path):
    _write_folder(tmp_path, n=2)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "img1.png")
    with pytest.raises(InputError, match="pass --resolution"):
        get_suite(f"folder:{tmp_path}").validate()


def test_preview_of_bad_folder_writes_nothing(tmp_path, capsys):
    _write_folder(tmp_path)
    (tmp_path / "img2.png").write_bytes(b"garbage")
    out = tmp_path / "grid.png"
    assert main(["preview", f"folder:{tmp_path}", "--out", str(out)]) == 2
    assert "img2.png: cannot read image" in capsys.readouterr().err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".grid")]


def test_options_a_suite_does_not_take(tmp_path):
    _write_folder(tmp_path)
    with pytest.raises(InputError, match=r"suite 'shapes' does not take option\(s\) root; it takes: resolution, seed"):
        get_suite("shapes", root=str(tmp_path))
    with pytest.raises(InputError, match=r"does not take option\(s\) root; it takes: resolution"):
        get_suite(f"folder:{tmp_path}", root=str(tmp_path))


@pytest.mark.parametrize("image", ["../private/secret.png", "ABSOLUTE", "sub/../../private/secret.png", "link.png"])
def test_images_are_confined_to_the_suite_folder(tmp_path, image):
    suite_dir, private = tmp_path / "suite", tmp_path / "private"
    suite_dir.mkdir(), private.mkdir()
    _write_folder(suite_dir)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(private / "secret.png")
    (suite_dir / "link.png").symlink_to(private / "secret.png")
    name = str(private / "secret.png") if image == "ABSOLUTE" else image
    with (suite_dir / "captions.jsonl").open("a") as f:
        f.write(json.dumps({"image": name, "caption": "steal"}) + "\n")
    with pytest.raises(InputError) as e:
        get_suite(f"folder:{suite_dir}")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{suite_dir / 'captions.jsonl'}:4: image ") and "outside" in msg


def test_a_link_inside_the_folder_is_allowed(tmp_path):
    _write_folder(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "again.png").symlink_to(tmp_path / "img0.png")
    with (tmp_path / "captions.jsonl").open("a") as f:
        f.write(json.dumps({"image": "sub/again.png", "caption": "fine"}) + "\n")
    assert get_suite(f"folder:{tmp_path}").splits == {"test": 4}


def test_captions_that_are_not_utf8_name_the_line(tmp_path):
    _write_folder(tmp_path)
    with (tmp_path / "captions.jsonl").open("ab") as f:
        f.write(b'{"image": "img0.png", "caption": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"captions.jsonl: line 4 is not UTF-8 \(byte 0xe9 .*save the file as UTF-8"):
        get_suite(f"folder:{tmp_path}")


def test_captions_file_that_is_a_device_or_a_folder(tmp_path):
    (tmp_path / "captions.jsonl").symlink_to("/dev/zero")
    with pytest.raises(InputError, match=r"captions file .*captions.jsonl is a device, not a regular file"):
        get_suite(f"folder:{tmp_path}")
    (tmp_path / "captions.jsonl").unlink()
    (tmp_path / "captions.jsonl").mkdir()
    with pytest.raises(InputError, match=r"captions.jsonl is a folder, not a file"):
        get_suite(f"folder:{tmp_path}")


def test_captions_file_beyond_the_size_limit(tmp_path, monkeypatch):
    import xmbench.data.untrusted as untrusted

    _write_folder(tmp_path)
    monkeypatch.setattr(untrusted, "MAX_FILE_BYTES", 50)
    with pytest.raises(InputError, match=r"larger than 50 bytes"):
        get_suite(f"folder:{tmp_path}")
