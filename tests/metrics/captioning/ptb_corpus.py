"""Captions for the PTBTokenizer parity test: hand-written cases plus seeded random compositions of the
constructs `xmbench.text.ptb` supports."""

from __future__ import annotations

import random

HAND_WRITTEN = [
    "",
    "   ",
    "A man (in a hat) is riding a horse.",
    "A top-left red square, and a bottom-right BLUE circle.",
    "He doesn't like it; she can't go, won't go. I'm here, you're there, we've been, they'll go, I'd go.",
    "\"Quoted\" text and 'single' quotes and ``latex'' quotes. It's John's dog.",
    "Numbers: 3.5 and 1,000 and $5 and 50% and 1/2 and and/or and a*b or cat.",
    "A top-left red square -- and a dash - here... and ellipsis… and — em dash – en dash.",
    "cannot gonna wanna gotta lemme gimme Cannot",
    "Mr. Smith went to the U.S. at 5 p.m. yesterday, etc.",
    "{braces} [brackets] (parens) a(b)c",
    "café naïve “curly” ‘single curly’ don’t it’s",
    "#hash @at & ~tilde ^caret +plus =eq |pipe \\back AT&T a&b &amp;",
    "what?! wow!! ok?? hmm.... a,b a;b a:b .... !? ?!",
    "a_b __init__ a**b a==b a++ x=y 5+3 a~b 1/2/3 a/ /b a//b",
    "over-the-top A.B. well-known. end-. -end re-use 5km 5 km 100m2 12-year-old",
    "Dog 's dog 'S DOG'S s' 's '",
    "a'b ab'cd don't've ne'er o'clock ma'am l'amour d'arc the '90s 'em 'tis 'twas",
    "éclair Ünïcödé ß straße İstanbul ΑΒΓ Привет 中文字",
    "5'10\" 6' 7\" 1,000,000 1.000,5 +5 -5 1e5 #1 10:30 2x4 3d 1st",
    "€5 £3 ¥7 © 2019 ° 5°C",
    "two dogs\tplay\nin the park",
    "A  lot   of    spaces.",
]

_WORDS = ["a", "red", "circle", "Square", "BLUE", "dog", "man", "is", "on", "the", "left", "of", "two", "café",
          "x", "I", "Ünï", "grey", "zebra", "it", "John", "cat", "3", "10", "1990", "a1", "ok", "dogs"]  # fmt: skip
_JOINED = ["top-left", "well-known", "3.5", "1,000", "and/or", "1/2", "10:30", "a.m.", "U.S.", "Mr.", "etc.",
           "e.g.", "cat.dog", "AT&T", "x-ray", "o'clock", "ma'am", "'90s", "a_b", ".5", "+5", "-5", "#tag",
           "@user", "12-year-old"]  # fmt: skip
_SUFFIXES = ["", "", "", ".", ",", ";", ":", "?", "!", "...", "'s", "n't", "'ll", "'re", "'m", "'d", "'ve", "'",
             "%", ")", "]", "}", '"', "”", "’s", "--", "?!", "*"]  # fmt: skip
_PREFIXES = ["", "", "", "(", "[", "{", '"', "“", "'", "‘", "$", "#", "-", "--", "*", "~", "+", "="]
_SEPARATORS = [" ", " ", " ", "  ", " - ", " -- ", " — ", " – ", " … ", "\t", " & ", " / ", " = "]


def random_captions(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 12)):
            # clitics glued to joined forms ("AT&Tn't") and quotes before "'90s" are not supported
            if rng.random() < 0.25:
                core, prefix, suffix = rng.choice(_JOINED), rng.choice(_PREFIXES[:6]), rng.choice(_SUFFIXES[:10])
            else:
                core, prefix, suffix = rng.choice(_WORDS), rng.choice(_PREFIXES), rng.choice(_SUFFIXES)
            if prefix == "'" and core[0].isdigit():  # "'10" stays whole only before a space
                prefix = ""
            parts.append(prefix + core + suffix)
            parts.append(rng.choice(_SEPARATORS))
        out.append("".join(parts[:-1]))
    return out
