"""A COCO results file names images by COCO id on the COCO suites: each maps to the suite's image."""

import json

from real_layouts import make_coco

from xmbench.data import get_suite
from xmbench.runner.predictions_file import image_ids, read_predictions


def test_coco_results_map_image_ids_to_the_suites_images(tmp_path):
    suite = get_suite("coco2014", root=make_coco(tmp_path / "coco"), resolution=16)
    indices = suite.image_indices("val")
    what, ids = image_ids(suite, "val", indices)
    assert what == "COCO id" and sorted(ids) == sorted(500 - 7 * k for k in range(6))
    results = tmp_path / "captions_val2014_mine_results.json"
    results.write_text(json.dumps([{"image_id": i, "caption": f"image {i}"} for i in reversed(ids)]))
    assert read_predictions(results, ids, what) == ([f"image {i}" for i in ids], "COCO results")
