"""Oxford-102 flowers with Reed et al.'s captions.

Layout under root (the cvpr2016_flowers release unpacked beside Oxford's 102flowers.tgz):

    text_c10/class_XXXXX/image_XXXXX.txt   ten captions per image (Reed et al.)
    trainvalclasses.txt, testclasses.txt   82 train / 20 test classes
    jpg/image_XXXXX.jpg
"""

from __future__ import annotations

from xmbench.data.photos import Photo, expect_dir
from xmbench.data.reed import CAPTIONS_PER_IMAGE, ReedSuite


class OxfordSuite(ReedSuite):
    """Oxford-102 flowers with ten captions per image; the whole photo, centre square, PIL bicubic
    to `resolution` (default 256)."""

    name = "oxford"

    def _prepare(self) -> None:
        self._images = expect_dir(self.root / "jpg", self.name, "Oxford-102's image folder jpg (from 102flowers.tgz)")

    def _photo(self, class_name: str, stem: str) -> Photo:
        return Photo(stem, self._images, f"{stem}.jpg", class_name, CAPTIONS_PER_IMAGE)
