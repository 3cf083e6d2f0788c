"""Robustness rewrites of shapes-skills prompts keep the scene record, for every skill.

Paraphrases are read back by a reader built from the held-out table alone (`paraphrase_reader`), in words
no skills caption uses; clause-order rewrites parse, with the suite's own parser, to the same scene with
its things named in another order."""

import pytest
from paraphrase_reader import caption_vocabulary, read_paraphrase

from xmbench.data.shapes import vocabulary as shapes_vocabulary
from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.data.shapes_skills import vocabulary as skills_vocabulary
from xmbench.data.shapes_skills.grammar import TEMPLATES, parse_caption
from xmbench.data.shapes_skills.rewrites import (
    PARAPHRASE_TEMPLATES,
    PARAPHRASE_WORDS,
    RELATION_TABLE,
    VERSION,
    reordered,
    rewrite,
)
from xmbench.data.shapes_skills.scenes import canonical_pair
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.errors import InputError
from xmbench.text.tokenizer import words

N = 1800  # 300 prompts of each skill


@pytest.fixture(scope="module")
def prompts():
    suite = ShapesSkillsSuite()
    return suite.captions("test", range(N)), suite.records("test", range(N))


def test_paraphrases_state_exactly_their_record_in_words_the_suite_never_uses(prompts):
    captions, records = prompts
    templates = [t for options in TEMPLATES.values() for t in options]
    vocabulary = caption_vocabulary(templates, [shapes_vocabulary, skills_vocabulary])
    assert {"speckled", "tinier", "hidden", "pluses", "four"} <= vocabulary
    held_out = {w for table in PARAPHRASE_WORDS.values() for ws in table.values() for p in ws for w in words(p)}
    assert held_out & vocabulary <= {"a", "of", "the", "to"}  # function words only
    relation_tables = {skill: RELATION_TABLE.get(skill) for skill in SKILLS}
    seen, by_skill = set(), dict.fromkeys(SKILLS, 0)
    for i, (caption, record) in enumerate(zip(captions, records, strict=True)):
        text = rewrite("paraphrase", caption, record, seed=i)
        assert read_paraphrase(text, PARAPHRASE_TEMPLATES, PARAPHRASE_WORDS, relation_tables) == record, text
        seen.add(text)
        by_skill[record["skill"]] += 1
        if i < 300:
            with pytest.raises(InputError):
                parse_caption(text)
    assert min(by_skill.values()) == N // len(SKILLS)
    assert len(seen) > 0.9 * N  # the draws vary


def _scene(record: dict) -> tuple:
    """The scene a record states, whatever order it names its things in."""
    if record["relation"] is not None:
        return record["skill"], canonical_pair(record)
    return record["skill"], sorted(map(str, record["objects"]))


def test_clause_order_names_the_same_things_in_another_order(prompts):
    captions, records = prompts
    applied = dict.fromkeys(SKILLS, 0)
    for i, (caption, record) in enumerate(zip(captions, records, strict=True)):
        text = rewrite("clause_order", caption, record, seed=i)
        if len(record["objects"]) == 1:  # position, one-group counting: nothing to reorder
            assert text is None
            continue
        other = reordered(record)
        assert parse_caption(text) == other, text
        assert _scene(other) == _scene(record) and other["objects"][0] == record["objects"][-1]
        # the rewrite names first what the original named last
        first = min(
            (text.index(w), name)
            for name in {o["shape"] for o in record["objects"]}
            for w in [*shapes_vocabulary.SHAPE_WORDS[name], *skills_vocabulary.PLURAL_WORDS[name]]
            if w in text
        )[1]
        assert first == other["objects"][0]["shape"], text
        applied[record["skill"]] += 1
    assert applied["position"] == 0 and all(applied[s] == N // 6 for s in ("binding", "occlusion", "comparative"))
    assert 0 < applied["counting"] < N // 6 and applied["relation"] == N // 6


def test_typo_changes_one_word_of_every_skill(prompts):
    captions, records = prompts
    for i, (caption, record) in enumerate(zip(captions[:600], records[:600], strict=True)):
        text = rewrite("typo", caption, record, seed=i)
        changed = [(b, a) for b, a in zip(caption.split(), text.split(), strict=True) if a != b]
        assert len(changed) == 1 and changed[0][1][0] == changed[0][0][0], (caption, text)


def test_rewrites_are_pure_functions_and_the_suite_serves_them(prompts):
    captions, records = prompts
    suite = ShapesSkillsSuite()
    assert suite.rewrite_variants == ("paraphrase", "typo", "clause_order") and suite.rewrites_version == VERSION
    for variant in suite.rewrite_variants:
        once = [suite.rewrite(variant, c, r, seed=5) for c, r in zip(captions[:60], records[:60], strict=True)]
        assert once == [rewrite(variant, c, r, seed=5) for c, r in zip(captions[:60], records[:60], strict=True)]
    with pytest.raises(InputError, match="unknown robustness variant of shapes-skills 'paraphrases'"):
        rewrite("paraphrases", captions[0], records[0], seed=0)
