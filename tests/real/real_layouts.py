"""Tiny fixture datasets in the real layouts (CUB + Reed captions, Oxford-102 + Reed captions, COCO, Karpathy's
COCO split) and a folder suite."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

CUB_TRAIN = ["001.Black_footed_Albatross", "002.Laysan_Albatross"]
CUB_TEST = ["003.Sooty_Albatross", "004.Groove_billed_Ani"]
OXFORD_TRAIN = ["class_00001", "class_00002"]
OXFORD_TEST = ["class_00003"]


def _image(path: Path, rng: np.random.Generator, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)).save(path)


def _reed_text(root: Path, train: list[str], test: list[str], stems: dict[str, list[str]]) -> None:
    (root / "trainvalclasses.txt").write_text("\n".join(train) + "\n")
    (root / "testclasses.txt").write_text("\n".join(test) + "\n")
    for cls, names in stems.items():
        for stem in names:
            path = root / "text_c10" / cls / f"{stem}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"{stem} caption {j}\n" for j in range(10)))


def make_cub(root: Path, per_class: int = 2, size: tuple[int, int] = (48, 36), test_classes: int = 1) -> Path:
    """CUB_200_2011/ (images, images.txt, bounding_boxes.txt) + Reed's text_c10 and class lists."""
    rng = np.random.default_rng(1)
    stems, image_lines, box_lines = {}, [], []
    test = CUB_TEST[:test_classes]
    for c, cls in enumerate(CUB_TRAIN + test):
        stems[cls] = [f"{cls.split('.')[1]}_{k:04d}_{100 + c}" for k in range(per_class)]
        for stem in stems[cls]:
            _image(root / "CUB_200_2011" / "images" / cls / f"{stem}.jpg", rng, size)
            image_lines.append(f"{len(image_lines) + 1} {cls}/{stem}.jpg")
            box_lines.append(f"{len(box_lines) + 1} 10.0 8.0 12.0 10.0")
    (root / "CUB_200_2011" / "images.txt").write_text("\n".join(image_lines) + "\n")
    (root / "CUB_200_2011" / "bounding_boxes.txt").write_text("\n".join(box_lines) + "\n")
    _reed_text(root, CUB_TRAIN, test, stems)
    return root


def make_oxford(root: Path, per_class: int = 2, size: tuple[int, int] = (40, 50)) -> Path:
    """jpg/image_XXXXX.jpg + Reed's text_c10/class_XXXXX and class lists."""
    rng = np.random.default_rng(2)
    stems, n = {}, 0
    for cls in OXFORD_TRAIN + OXFORD_TEST:
        stems[cls] = []
        for _ in range(per_class):
            n += 1
            stems[cls].append(f"image_{n:05d}")
            _image(root / "jpg" / f"image_{n:05d}.jpg", rng, size)
    _reed_text(root, OXFORD_TRAIN, OXFORD_TEST, stems)
    return root


def coco_file_name(year: int, split: str, image_id: int) -> str:
    return f"COCO_{split}{year}_{image_id:012d}.jpg" if year == 2014 else f"{image_id:012d}.jpg"


def make_coco(root: Path, year: int = 2014, n_val: int = 6, n_train: int = 0, size: tuple[int, int] = (40, 30)) -> Path:
    """annotations/captions_<split><year>.json + <split><year>/ images; image i has 5 + i % 2 captions."""
    rng = np.random.default_rng(year)
    ann_id = 1000
    for split, n in (("val", n_val), ("train", n_train)):
        if n == 0:
            continue
        images, annotations = [], []
        for k in range(n):
            image_id = 500 - 7 * k if split == "val" else 900 + k  # val ids deliberately unsorted
            name = coco_file_name(year, split, image_id)
            _image(root / f"{split}{year}" / name, rng, size)
            images.append({"id": image_id, "file_name": name, "width": size[0], "height": size[1]})
            for j in range(5 + k % 2):
                ann_id -= 3  # annotation ids decrease: order must come from ids, not from the file
                annotations.append({"id": ann_id, "image_id": image_id, "caption": f" img {image_id}  cap {j}\n"})
        path = root / "annotations" / f"captions_{split}{year}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"images": images, "annotations": annotations}))
    return root


def make_karpathy(
    root: Path,
    splits: tuple[str, ...] = ("train", "restval", "val", "test", "test", "val", "test"),
    size: tuple[int, int] = (40, 30),
) -> Path:
    """dataset_coco.json in Karpathy's format + train2014/ and val2014/ images; image k has 5 + k % 3 sentences."""
    rng = np.random.default_rng(7)
    images = []
    for k, split in enumerate(splits):
        folder = "train2014" if split == "train" else "val2014"
        cocoid = 1000 + 11 * k
        name = coco_file_name(2014, folder[:-4], cocoid)
        _image(root / folder / name, rng, size)
        sentences = [
            {
                "raw": f"Image {cocoid}  says\tcaption {j}. ",
                "tokens": ["image", str(cocoid), "says", "caption", str(j)],
                "imgid": k,
                "sentid": 10 * k + j,
            }
            for j in range(5 + k % 3)
        ]
        images.append(
            {
                "filepath": folder,
                "filename": name,
                "split": split,
                "cocoid": cocoid,
                "imgid": k,
                "sentids": [s["sentid"] for s in sentences],
                "sentences": sentences,
            }
        )
    (root / "dataset_coco.json").write_text(json.dumps({"images": images, "dataset": "coco"}))
    return root


def make_folder(root: Path, n: int = 3, size: tuple[int, int] = (16, 16)) -> Path:
    """A folder suite: img<i>.png + captions.jsonl with one line per image."""
    rng = np.random.default_rng(3)
    for i in range(n):
        _image(root / f"img{i}.png", rng, size)
    lines = [json.dumps({"image": f"img{i}.png", "caption": f"caption {i}"}) for i in range(n)]
    (root / "captions.jsonl").write_text("\n".join(lines) + "\n")
    return root
