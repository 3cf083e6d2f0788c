"""Reads a paraphrase back into its scene record, from a held-out word table and templates alone (not
the suites' parsers, which must refuse paraphrases): the independent check that a paraphrase states
exactly its record."""

import re

from xmbench.data.shapes.rewrites import COLOURED
from xmbench.text.tokenizer import words

#: template slot letter -> the record key it fills (and the word table it draws from)
SLOT_KEYS = {"n": "count", "s": "size", "c": "colour", "t": "texture", "p": "position", "o": "shape"}


def _alternation(tables):
    options = sorted({w for table in tables for ws in table.values() for w in ws}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in options)


def _value(tables, word):
    return next(k for table in tables for k, ws in table.items() if word in ws)


def read_paraphrase(text, templates, words, relation_tables):
    """The record {"skill"?, "objects", "relation"} that `text` states in one of `templates`.

    templates: {(skill or None, number of objects): templates}; words: {table name: {value: phrases}}
    (shape slots read "shape" and, when present, "plural"); relation_tables: {skill or None: table name}.
    """
    text = re.sub(r"\ban\b", "a", text)
    for (skill, n_objects), options in templates.items():
        for template in options:
            pattern, tables = re.escape(re.sub(r"\ban\b", "a", template)), {}
            for slot in re.findall(r"\{(\w+)\}", template):
                if slot == "r":
                    tables[slot] = [words[relation_tables[skill]]]
                elif slot[0] == "o":
                    tables[slot] = [words["shape"], *([words["plural"]] if "plural" in words else [])]
                else:
                    tables[slot] = [words[SLOT_KEYS[slot[0]]]]
                suffix = f"(?:{re.escape(COLOURED)})?" if slot[0] == "c" else ""
                alt = _alternation(tables[slot])
                pattern = pattern.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>{alt}){suffix}")
            m = re.fullmatch(pattern, text)
            if m is None:
                continue
            objects = [
                {
                    SLOT_KEYS[letter]: _value(tables[f"{letter}{k}"], m[f"{letter}{k}"])
                    for letter in SLOT_KEYS
                    if f"{letter}{k}" in m.groupdict()
                }
                for k in range(1, n_objects + 1)
            ]
            relation = _value(tables["r"], m["r"]) if "r" in m.groupdict() else None
            return {**({"skill": skill} if skill else {}), "objects": objects, "relation": relation}
    raise AssertionError(f"not a paraphrase: {text!r}")


def caption_vocabulary(templates, modules):
    """Every word a suite's caption can hold: its `templates` (slots left out) and every phrase of the
    synonym tables (dicts of tuples of str) of its vocabulary `modules`."""
    phrases = [re.sub(r"\{\w+\}", " ", t) for t in templates]
    for module in modules:
        phrases += [
            w
            for table in vars(module).values()
            if isinstance(table, dict)
            for ws in table.values()
            if isinstance(ws, tuple)
            for w in ws
            if isinstance(w, str)
        ]
    return {w for phrase in phrases for w in words(phrase)}
