"""Every dataset reader applies the rules of xmbench.data.untrusted to the files a dataset brings: one test
per class of problem (confinement, size, field types, duplicates, malformed files, unreadable images), each
run against every reader on a tiny dataset written to tmp_path. Every refusal is one line naming the file."""

import builtins
import io
import json
import os
import shutil

import pytest
from PIL import Image
from real_layouts import make_coco, make_cub, make_folder, make_karpathy, make_oxford

import xmbench.data.untrusted as untrusted
from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.errors import InputError

MAKE = {
    "folder": make_folder,
    "coco2014": make_coco,
    "coco-karpathy": make_karpathy,
    "cub": make_cub,
    "oxford": make_oxford,
}
READERS = list(MAKE)
#: the index file of each reader's fixture dataset, relative to its root
INDEX = {
    "folder": "captions.jsonl",
    "coco2014": "annotations/captions_val2014.json",
    "coco-karpathy": "dataset_coco.json",
    "cub": "CUB_200_2011/images.txt",
    "oxford": "testclasses.txt",
}
#: a file of each fixture dataset that a reader opens (an image, or a Reed caption file)
OWN_FILE = {
    "folder": "img0.png",
    "coco2014": "val2014/COCO_val2014_000000000500.jpg",
    "coco-karpathy": "train2014/COCO_train2014_000000001000.jpg",
    "cub": "CUB_200_2011/images/003.Sooty_Albatross/Sooty_Albatross_0000_102.jpg",
    "oxford": "text_c10/class_00001/image_00001.txt",
}


def _suite_args(reader, root):
    return (f"folder:{root}", {}) if reader == "folder" else (reader, {"root": root})


def read_everything(reader, root):
    """Open the suite and read every image and caption of every split (a reader may refuse at either step)."""
    name, options = _suite_args(reader, root)
    suite = get_suite(name, resolution=8, **options)
    for split in suite.splits:
        suite.batch(split, range(suite.size(split)))
    return suite


def refusal(reader, root):
    """The one-line message of the InputError that reading the whole dataset raises."""
    with pytest.raises(InputError) as e:
        read_everything(reader, root)
    message = str(e.value)
    assert "\n" not in message
    return message


def edit_json(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def append(path, text):
    with path.open("a") as f:
        f.write(text + "\n")


@pytest.fixture
def root(tmp_path):
    return tmp_path / "dataset"


@pytest.fixture
def outside(tmp_path):
    """A folder beside the dataset holding an image and a ten-line caption file: nothing may read it."""
    folder = tmp_path / "private"
    folder.mkdir()
    Image.new("RGB", (16, 16)).save(folder / "secret.jpg")
    (folder / "secret.txt").write_text("a secret caption\n" * 10)
    return folder


@pytest.fixture
def opened(monkeypatch):
    """The real path of every file opened and every folder listed while the test runs."""
    seen = []
    real_open, real_scandir = builtins.open, os.scandir

    def spy_open(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike):
            seen.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    def spy_scandir(path="."):
        seen.append(os.path.realpath(path))
        return real_scandir(path)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)  # pathlib's read_text opens through io.open
    monkeypatch.setattr(os, "scandir", spy_scandir)
    return seen


@pytest.mark.parametrize("reader", READERS)
def test_the_fixture_datasets_are_read_whole(reader, root, opened):
    """The baseline of every test below: each fixture dataset reads without error, its own files included."""
    MAKE[reader](root)
    suite = read_everything(reader, root)
    assert all(suite.size(split) > 0 for split in suite.splits)
    assert str(root.resolve() / OWN_FILE[reader]) in opened


#: the index each reader takes a path from (Reed's class lists name caption folders), and the folder the path is
#: relative to
NAME_INDEX = {**INDEX, "cub": "testclasses.txt"}
NAME_FOLDER = {"folder": ".", "coco2014": "val2014", "coco-karpathy": ".", "cub": "text_c10", "oxford": "text_c10"}


def name_in_index(reader, root, name):
    """Write `name` where `reader` takes a path from its index (an image; for Reed's class lists a folder)."""
    index = root / NAME_INDEX[reader]
    if reader == "folder":
        append(index, json.dumps({"image": name, "caption": "steal"}))
    elif reader == "coco2014":
        edit_json(index, lambda d: d["images"][0].update(file_name=name))
    elif reader == "coco-karpathy":  # the folders of the name go to "filepath", its last part to "filename"
        folder, _, file = name.rpartition("/")
        edit_json(index, lambda d: d["images"][0].update(filepath=folder, filename=file))
    else:
        append(index, name)


@pytest.mark.parametrize("route", ["dotdot", "absolute", "link", "loop"])
@pytest.mark.parametrize("reader", READERS)
def test_a_name_in_an_index_stays_inside_the_dataset(reader, route, root, outside, opened):
    MAKE[reader](root)
    reed = reader in ("cub", "oxford")
    target = outside if reed else outside / "secret.jpg"
    folder = root / NAME_FOLDER[reader]
    link = folder / ("link" if reed else "link.jpg")
    name = {"dotdot": os.path.relpath(target, folder), "absolute": str(target)}.get(route, link.name)
    name_in_index(reader, root, name)
    if route == "link":
        link.symlink_to(target)
    elif route == "loop":
        link.symlink_to(link.name)
    message = refusal(reader, root)
    # a link is refused where the file is opened: COCO's and Karpathy's images when they are read
    lazy = route in ("link", "loop") and reader in ("coco2014", "coco-karpathy")
    assert str(link if lazy else root / NAME_INDEX[reader]) in message
    shown = name.rpartition("/")[0] or name if reader == "coco-karpathy" else name  # Karpathy checks the filepath
    assert repr(shown) in message
    assert ("cannot be resolved" if route == "loop" else "outside") in message
    assert not [p for p in opened if p.startswith(str(outside.resolve()))]


@pytest.mark.parametrize("reader", READERS)
def test_a_file_of_the_dataset_that_links_outside_is_refused(reader, root, outside, opened):
    MAKE[reader](root)
    own = root / OWN_FILE[reader]
    secret = outside / ("secret.txt" if own.suffix == ".txt" else "secret.jpg")
    own.unlink()
    own.symlink_to(secret)
    message = refusal(reader, root)
    assert own.name in message and f"is a link to {secret.resolve()}, outside {root}" in message
    assert "copy the file into the folder" in message
    assert not [p for p in opened if p.startswith(str(outside.resolve()))]


@pytest.mark.parametrize(
    "reader, layout_folder",
    [
        ("folder", "."),
        ("coco2014", "val2014"),
        ("coco-karpathy", "val2014"),
        ("cub", "CUB_200_2011/images"),
        ("oxford", "jpg"),
        ("oxford", "text_c10"),
    ],
)
def test_a_folder_of_the_layout_may_be_a_link(reader, layout_folder, root, tmp_path):
    """The layout's own folders (not names read from an index) may link to a shared copy elsewhere."""
    MAKE[reader](root)
    folder = root / layout_folder
    shared = tmp_path / "shared" / folder.name
    shared.parent.mkdir()
    folder.rename(shared)
    folder.symlink_to(shared, target_is_directory=True)
    suite = read_everything(reader, root)
    assert all(suite.size(split) > 0 for split in suite.splits)


@pytest.mark.parametrize(
    "reader, limit, file",
    [
        ("folder", 10, "captions.jsonl"),
        ("coco2014", 10, "annotations/captions_val2014.json"),
        ("coco-karpathy", 10, "dataset_coco.json"),
        ("cub", 10, "CUB_200_2011/images.txt"),
        ("oxford", 10, "trainvalclasses.txt"),
        ("oxford", 100, "text_c10/class_00001/image_00001.txt"),  # the class lists pass, the caption file not
    ],
)
def test_a_file_beyond_the_size_limit_is_refused(reader, limit, file, root, monkeypatch):
    MAKE[reader](root)
    monkeypatch.setattr(untrusted, "MAX_FILE_BYTES", limit)
    message = refusal(reader, root)
    assert f"{root / file} is larger than {limit} bytes" in message


def replace_line(path, lineno, text):
    lines = path.read_text().splitlines()
    lines[lineno - 1] = text
    path.write_text("\n".join(lines) + "\n")


def edit_index(reader, edit):
    return lambda root: edit_json(root / INDEX[reader], edit)


@pytest.mark.parametrize(
    "reader, edit, expected",
    [
        (
            "folder",
            lambda r: append(r / "captions.jsonl", '{"image": "img0.png", "caption": 5}'),
            "captions.jsonl:4: field 'caption' must be a string (got an integer 5)",
        ),
        (
            "folder",
            lambda r: append(r / "captions.jsonl", '{"image": ["img0.png"], "caption": "x"}'),
            """captions.jsonl:4: field 'image' must be a string (got a list ["img0.png"])""",
        ),
        (
            "coco2014",
            edit_index("coco2014", lambda d: d["images"][2].update(id="486")),
            """captions_val2014.json: images[2]: field 'id' must be an integer (got a string "486")""",
        ),
        (
            "coco2014",
            edit_index("coco2014", lambda d: d["images"][0].update(id=True)),
            "captions_val2014.json: images[0]: field 'id' must be an integer (got true)",
        ),
        (
            "coco2014",
            edit_index("coco2014", lambda d: d["annotations"][3].update(caption=None)),
            "captions_val2014.json: annotations[3]: field 'caption' must be a string (got null)",
        ),
        (
            "coco-karpathy",
            edit_index("coco-karpathy", lambda d: d["images"][1].update(cocoid="7")),
            """dataset_coco.json: images[1]: field 'cocoid' must be an integer (got a string "7")""",
        ),
        (
            "coco-karpathy",
            edit_index("coco-karpathy", lambda d: d["images"][0]["sentences"][2].update(raw=12.5)),
            "dataset_coco.json: images[0]: sentences[2]: field 'raw' must be a string (got a number 12.5)",
        ),
        (
            "coco-karpathy",
            edit_index("coco-karpathy", lambda d: d["images"].append("x.jpg")),
            """dataset_coco.json: images[7]: field 'cocoid' must be an integer (the entry is a string "x.jpg", not""",
        ),
        (
            "cub",
            lambda r: replace_line(r / "CUB_200_2011/bounding_boxes.txt", 1, "1 1.0 2.0 wide 4.0"),
            "bounding_boxes.txt:1: box '1.0 2.0 wide 4.0' is not four numbers",
        ),
        (
            "cub",
            lambda r: replace_line(r / "CUB_200_2011/bounding_boxes.txt", 1, "1 1.0 2.0 nan 4.0"),
            "bounding_boxes.txt:1: box '1.0 2.0 nan 4.0' needs finite x y and positive width height",
        ),
        (
            "cub",
            lambda r: replace_line(r / "CUB_200_2011/images.txt", 1, "x1 001.Black_footed_Albatross/a.jpg"),
            "images.txt:1: image id 'x1' is not a whole number",
        ),
        (
            "oxford",
            lambda r: (r / "text_c10/class_00003/image_00005.txt").write_text("one\ntwo\n"),
            "image_00005.txt: expected 10 captions (one a line), found 2",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_refused(reader, edit, expected, root):
    MAKE[reader](root)
    edit(root)
    message = refusal(reader, root)
    assert expected in message and str(root) in message


@pytest.mark.parametrize(
    "reader, edit, file, expected",
    [
        (
            "coco2014",
            edit_index("coco2014", lambda d: d["images"][1].update(id=d["images"][0]["id"])),
            INDEX["coco2014"],
            "image id 500 appears twice",
        ),
        (
            "coco2014",
            edit_index("coco2014", lambda d: d["images"][1].update(file_name=d["images"][0]["file_name"])),
            INDEX["coco2014"],
            "image file_name 'COCO_val2014_000000000500.jpg' appears twice",
        ),
        (
            "coco2014",
            edit_index("coco2014", lambda d: d["annotations"][1].update(id=d["annotations"][0]["id"])),
            INDEX["coco2014"],
            "annotation id 997 appears twice",
        ),
        (
            "coco-karpathy",
            edit_index("coco-karpathy", lambda d: d["images"][3].update(cocoid=1000)),
            INDEX["coco-karpathy"],
            "cocoid 1000 appears twice",
        ),
        (
            "coco-karpathy",
            edit_index(
                "coco-karpathy",
                lambda d: d["images"][1].update(filepath="train2014", filename=d["images"][0]["filename"]),
            ),
            INDEX["coco-karpathy"],
            "image file 'train2014/COCO_train2014_000000001000.jpg' appears twice",
        ),
        (
            "cub",
            lambda r: append(r / INDEX["cub"], "1 003.Sooty_Albatross/other.jpg"),
            INDEX["cub"],
            "image id 1 appears twice",
        ),
        (
            "cub",
            lambda r: append(r / INDEX["cub"], "7 003.Sooty_Albatross/Sooty_Albatross_0000_102.jpg"),
            INDEX["cub"],
            "image 'Sooty_Albatross_0000_102' appears twice",
        ),
        (
            "cub",
            lambda r: append(r / "CUB_200_2011/bounding_boxes.txt", "2 1.0 1.0 5.0 5.0"),
            "CUB_200_2011/bounding_boxes.txt",
            "image id 2 appears twice",
        ),
        (
            "cub",
            lambda r: append(r / "testclasses.txt", "003.Sooty_Albatross"),
            "testclasses.txt",
            "class '003.Sooty_Albatross' appears twice",
        ),
        (
            "oxford",
            lambda r: append(r / "trainvalclasses.txt", "class_00001"),
            "trainvalclasses.txt",
            "class 'class_00001' appears twice",
        ),
        (  # one image's caption file in two class folders of a split: the same jpg/image_00001.jpg twice
            "oxford",
            lambda r: shutil.copy(r / "text_c10/class_00001/image_00001.txt", r / "text_c10/class_00002"),
            "text_c10",
            "image 'image_00001' appears twice",
        ),
    ],
)
def test_a_duplicate_is_refused(reader, edit, file, expected, root):
    MAKE[reader](root)
    edit(root)
    assert f"{root / file}: {expected}" in refusal(reader, root)


def test_the_folder_suite_keeps_an_image_listed_twice_as_two_samples(root):
    """A folder suite's lines are samples, so an image may have several captions: nothing is overwritten."""
    make_folder(root)
    append(root / "captions.jsonl", json.dumps({"image": "img0.png", "caption": "caption 0 again"}))
    suite = read_everything("folder", root)
    assert suite.captions("test", range(4)) == ["caption 0", "caption 1", "caption 2", "caption 0 again"]
    assert (suite.get("test", 3).image == suite.get("test", 0).image).all()


@pytest.mark.parametrize(
    "reader, file, content, expected",
    [
        ("folder", "captions.jsonl", "{not json", "captions.jsonl:4: not valid JSON (Expecting property name"),
        ("folder", "captions.jsonl", "[" * 100_000, "captions.jsonl:4: not valid JSON (nested too deeply)"),
        ("coco2014", INDEX["coco2014"], '{"images": [}', "captions_val2014.json: not valid JSON (Expecting value at"),
        ("coco2014", INDEX["coco2014"], "[" * 100_000, "captions_val2014.json: not valid JSON (nested too deeply)"),
        ("coco-karpathy", INDEX["coco-karpathy"], "{\n  'images'", "dataset_coco.json: not valid JSON (Expecting"),
        ("coco-karpathy", INDEX["coco-karpathy"], "1" * 5000, "dataset_coco.json: not valid JSON (Exceeds the limit"),
        ("cub", INDEX["cub"], "7 a b", "images.txt:7: expected '<image id> <class>/<file>.jpg'"),
        ("cub", "testclasses.txt", b"\xff", "testclasses.txt: line 2 is not UTF-8 (byte 0xff"),
        ("oxford", "trainvalclasses.txt", b"class_\xe9", "trainvalclasses.txt: line 3 is not UTF-8 (byte 0xe9"),
    ],
)
def test_a_malformed_file_names_the_file(reader, file, content, expected, root):
    MAKE[reader](root)
    path = root / file
    if isinstance(content, bytes):
        path.write_bytes(path.read_bytes() + content + b"\n")
    elif path.suffix == ".json":
        path.write_text(content)
    else:
        append(path, content)
    message = refusal(reader, root)
    assert str(root) in message and expected in message


@pytest.mark.parametrize("reader", READERS)
def test_an_image_beyond_the_pixel_limit_names_the_file(reader, root, monkeypatch):
    MAKE[reader](root)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    message = refusal(reader, root)
    assert message.startswith(str(root)) and "cannot read image (DecompressionBombError)" in message


@pytest.mark.parametrize("reader", READERS)
def test_the_command_line_exits_2_with_the_file_named(reader, root, tmp_path, capsys):
    MAKE[reader](root)
    index = root / INDEX[reader]
    index.write_bytes(b"\xff" + index.read_bytes())
    name, options = _suite_args(reader, root)
    out = tmp_path / "grid.png"
    assert main(["preview", name, *(["--root", str(root)] if options else []), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{index}: line 1 is not UTF-8 (byte 0xff at offset 0)" in err
    assert not out.exists()
