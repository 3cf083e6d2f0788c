"""The real suites' references: every caption of the image."""

from real_layouts import make_coco, make_cub

from xmbench.data import get_suite


def test_photo_suites_give_every_caption_of_the_image(tmp_path):
    coco = get_suite("coco2014", root=make_coco(tmp_path / "coco", n_val=3))
    firsts = coco.image_indices("val")
    refs = coco.references("val", firsts)
    assert [len(r) for r in refs] == [5, 6, 5]
    # image ids sorted: 486, 493, 500 (val ids were 500 - 7k)
    assert refs[0] == [f"img 486 cap {j}" for j in range(5)][::-1]  # in annotation-id order
    # any sample of an image has the image's references
    assert coco.references("val", [firsts[1] + 3]) == [refs[1]]
    held, scoring = coco.held_out_references("val", firsts)
    assert held == [r[0] for r in refs] and scoring == [r[1:] for r in refs]
    cub = get_suite("cub", root=make_cub(tmp_path / "cub"))
    assert [len(r) for r in cub.references("test", cub.image_indices("test"))] == [10, 10]
