"""Robustness rewrites of shapes prompts keep the scene record; photometric changes are seeded and small.

Paraphrases are read back by a reader built here from the held-out table alone (not the suite's parser,
which must refuse them); clause-order rewrites are compared with their record in canonical form."""

import numpy as np
import pytest
import torch
from paraphrase_reader import caption_vocabulary, read_paraphrase

from xmbench.data.photometric import perturb
from xmbench.data.shapes import ShapesSuite, grammar
from xmbench.data.shapes import vocabulary as vocabulary_module
from xmbench.data.shapes.grammar import parse_caption
from xmbench.data.shapes.rewrites import (
    PARAPHRASE_ONE_OBJECT,
    PARAPHRASE_TWO_OBJECTS,
    PARAPHRASE_WORDS,
    TYPO_MIN_LETTERS,
    VARIANTS,
    rewrite,
    swapped,
)
from xmbench.errors import InputError
from xmbench.extractors.shapes_v1.targets import canonical
from xmbench.text.tokenizer import words

N = 3000


@pytest.fixture(scope="module")
def prompts():
    suite = ShapesSuite()
    return suite.captions("test", range(N)), suite.records("test", range(N))


def _read_paraphrase(text: str) -> dict:
    """The scene a paraphrase states, read with the held-out table and templates only."""
    templates = {(None, 1): PARAPHRASE_ONE_OBJECT, (None, 2): PARAPHRASE_TWO_OBJECTS}
    return read_paraphrase(text, templates, PARAPHRASE_WORDS, {None: "relation"})


def test_paraphrases_state_exactly_their_record_in_words_the_suite_never_uses(prompts):
    captions, records = prompts
    # every word a shapes caption can hold: the grammar's templates and synonyms
    templates = [*grammar.ONE_OBJECT_TEMPLATES, *grammar.TWO_OBJECT_TEMPLATES]
    vocabulary = caption_vocabulary(templates, [vocabulary_module])
    assert {"circle", "crimson", "placed", "beneath"} <= vocabulary
    held_out = {
        w for table in PARAPHRASE_WORDS.values() for ws in table.values() for phrase in ws for w in words(phrase)
    }
    assert held_out & vocabulary == {"of", "the", "to"}  # function words only
    seen = set()
    for i, (caption, record) in enumerate(zip(captions, records, strict=True)):
        text = rewrite("paraphrase", caption, record, seed=i)
        assert canonical(_read_paraphrase(text)) == canonical(record), (text, record)
        seen.add(text)
        if i < 200:
            with pytest.raises(InputError):
                parse_caption(text)
    assert len(seen) > 0.9 * N  # the draws vary


def test_clause_order_states_the_same_scene_from_the_other_object(prompts):
    captions, records = prompts
    two = [(i, c, r) for i, (c, r) in enumerate(zip(captions, records, strict=True)) if len(r["objects"]) == 2]
    assert len(two) > N / 3
    for i, caption, record in two:
        other = swapped(record)
        assert canonical(other) == canonical(record)
        assert other["objects"][0] == record["objects"][1] and other["relation"] != record["relation"]
        text = rewrite("clause_order", caption, record, seed=i)
        assert parse_caption(text) == other and not text.endswith(" it"), text
    one = next(i for i, r in enumerate(records) if len(r["objects"]) == 1)
    assert rewrite("clause_order", captions[one], records[one], seed=0) is None


def test_typo_is_one_seeded_edit_that_keeps_first_letters_and_short_words(prompts):
    captions, records = prompts
    changed = 0
    for i, (caption, record) in enumerate(zip(captions[:1000], records[:1000], strict=True)):
        text = rewrite("typo", caption, record, seed=i)
        assert text == rewrite("typo", caption, record, seed=i)  # deterministic
        before, after = caption.split(), text.split()
        assert len(before) == len(after)
        edited = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
        assert len(edited) == 1, (caption, text)
        b, a = edited[0]
        assert len(b) >= TYPO_MIN_LETTERS and a[0] == b[0]
        assert abs(len(a) - len(b)) == 1 or (
            sorted(a) == sorted(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 2
        )
        changed += text != caption
    assert changed == 1000
    assert len({rewrite("typo", captions[0], records[0], seed=s) for s in range(30)}) > 5  # the seed matters


def test_every_variant_is_a_pure_function_of_its_arguments_and_unknown_ones_are_refused(prompts):
    captions, records = prompts
    for variant in VARIANTS:
        again = [rewrite(variant, c, r, seed=7) for c, r in zip(captions[:50], records[:50], strict=True)]
        assert again == [rewrite(variant, c, r, seed=7) for c, r in zip(captions[:50], records[:50], strict=True)]
    with pytest.raises(InputError, match="unknown robustness variant of shapes 'typos'; did you mean 'typo'"):
        rewrite("typos", captions[0], records[0], seed=0)


def test_photometric_changes_are_seeded_per_image_and_small():
    images = ShapesSuite().batch("test", range(16)).images
    out = perturb(images, seed=3)
    assert torch.equal(out, perturb(images, seed=3)) and not torch.equal(out, perturb(images, seed=4))
    # image i depends on its position, not on the batch it came in
    assert torch.equal(perturb(images[8:], seed=3, first=8), out[8:])
    change = (out.double() - images.double()).abs().mean(dim=(1, 2, 3)) / 255
    assert (change > 0.005).all() and (change < 0.15).all()
    assert np.corrcoef(out.double().flatten(), images.double().flatten())[0, 1] > 0.9
