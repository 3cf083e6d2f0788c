"""Captioners for the runner's tests (imported by path from the run configs)."""

from xmbench.data.shapes import ShapesSuite


class WrongColour:
    """Each image's own shapes caption with its colour words replaced by "blue" (wrong where it was not)."""

    def __init__(self):
        self.suite = ShapesSuite()
        self.lookup = {}

    def caption(self, images, seed):
        from xmbench.data.shapes.vocabulary import COLOUR_WORDS

        out = []
        for image in images:
            key = image.numpy().tobytes()
            if key not in self.lookup:
                self.lookup.update(
                    (self.suite.get("test", i).image.tobytes(), c)
                    for i, c in enumerate(self.suite.captions("test", range(60)))
                )
            caption = self.lookup[key]
            for words in COLOUR_WORDS.values():
                for w in words:
                    caption = caption.replace(f" {w} ", " blue ")
            out.append(caption)
        return out


class Empty:
    def caption(self, images, seed):
        return [""] * len(images)


class Surrogate:
    """A caption holding a lone surrogate: a str Python holds but UTF-8 cannot encode."""

    def caption(self, images, seed):
        return ["a red \udc80 circle"] * len(images)
