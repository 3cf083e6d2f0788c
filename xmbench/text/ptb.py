r"""Caption tokenisation equal to pycocoevalcap's PTBTokenizer, in pure Python.

pycocoevalcap runs the Stanford PTBTokenizer (CoreNLP 3.4.1, Java) with `-preserveLines -lowerCase`,
then drops the tokens in `PUNCTUATION`. `ptb_tokenize` reproduces that for caption text:

- whitespace separates tokens; tokens are lower-cased after tokenisation;
- words keep inner hyphens, periods, slashes ("top-left", "3.5", "cat.dog", "and/or", "1/2/3"),
  commas and colons between digits ("1,000", "10:30"), "&" between capitals ("AT&T") and "_";
- clitics split off: "doesn't" -> "does n't", "can't" -> "ca n't", "it's" -> "it 's", and 'm 're
  've 'll 'd; "cannot", "gonna", "gotta", "wanna", "lemme", "gimme" split ("can not", "gon na");
- abbreviations and acronyms keep their period ("mr.", "etc.", "u.s.", "a.m."); other periods,
  commas, colons, semicolons, quotes, single hyphens, dashes and ellipses are removed;
- brackets become -lrb- -rrb- -lsb- -rsb- -lcb- -rcb- (the Java tokens lower-cased, which
  pycocoevalcap's upper-case punctuation list then fails to remove), "?!" runs stay, "%", "$", "*",
  "+", "=", "&", "~" ... are tokens of their own, "#word" and "@word" stay whole;
- curly quotes, en and em dashes and "…" normalise to their ASCII forms (and are then removed);
  "€" becomes "$" and "£" becomes "#", as the Java tokenizer does.

Not reproduced (tokenised differently from the Java tool; rare in captions): URLs and e-mail
addresses, SGML tags ("<b>"), emoticons, decimals glued to letters ("1.5m" -> Java "1.5 m"), other
apostrophe words than the patterns above ("rock'n'roll", "y'all", "j'ai"), "c#", Unicode fractions
and symbols outside Latin-1 (Java drops emoji and some dashes), decomposed accents.
"""

from __future__ import annotations

import re

#: tokens pycocoevalcap removes after PTB tokenisation
PUNCTUATION = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                         ".", "?", "!", ",", ":", "-", "--", "...", ";"])  # fmt: skip

_NORMALISE = str.maketrans(
    {
        "“": " '' ",
        "”": " '' ",
        "„": " '' ",
        '"': " '' ",
        "‘": "`",
        "’": "'",
        "–": " -- ",
        "—": " -- ",
        "…": " ... ",
        "€": "$",
        "£": "#",
    }
)
_BRACKETS = {"(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-"}
_SPLIT_WORDS = {"cannot": ("can", "not"), "gonna": ("gon", "na"), "gotta": ("got", "ta"), "wanna": ("wan", "na"),
                "lemme": ("lem", "me"), "gimme": ("gim", "me")}  # fmt: skip
_ABBREVIATIONS = "mr|mrs|ms|dr|st|jr|sr|vs|etc|inc|co|ft|mt|ave|dept"
_CLITIC = re.compile(r"(?i)(?<=\w)('(?:s|m|re|ve|ll|d))(?!\w)")

_LETTER = r"[^\W\d_]"
_ALNUM = r"[^\W_]"
_JOIN = (
    r"(?:[-./_]"
    r"|(?<=\d)[,:](?=\d)"
    r"|(?-i:(?<=[A-Z])&(?=[A-Z]))"
    rf"|(?<=\b[a-hj-xz])'(?={_LETTER}{{3}})"
    rf"|(?<={_LETTER}[aeiouy])'(?=[aeiou]))"
)
_TOKEN = re.compile(
    rf"""
    (?P<abbr>(?:{_ABBREVIATIONS})\.)(?!{_ALNUM})
    |(?P<acro>(?:[a-z]\.)+)(?!{_ALNUM})
    |(?P<clitic>(?:n't|'(?:s|m|re|ve|ll|d))(?!{_ALNUM})|'t(?=(?:is|was)(?!{_ALNUM})))
    |(?P<decade>'\d0s|'em)(?=n't|(?!{_ALNUM}))
    |(?P<sword>[a-z]*[a-mo-z])(?=n't(?!{_ALNUM}))
    |(?P<decimal>\d+(?:[.,]\d+)+)(?={_LETTER})
    |(?P<word>{_ALNUM}+(?:{_JOIN}{_ALNUM}+)*)
    |(?P<number>[-+]?\.\d+|[-+]\d+(?:[.,:]\d+)*)
    |(?P<tag>[#@]{_LETTER}+)
    |(?P<run>[?!]+|\.{{3,}}|-{{2,}}|\*+|_+|\#{{2,}}|'')
    |(?P<other>\S)
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _raw_tokens(chunk: str) -> list[str]:
    out = []
    for match in (m for part in _CLITIC.sub(r" \1", chunk).split(" ") for m in _TOKEN.finditer(part)):
        token = match.group()
        lower = token.lower()
        if lower in _SPLIT_WORDS:
            out.extend(_SPLIT_WORDS[lower])
        elif match.lastgroup == "run" and token[0] in ".-":
            out.append(token[:3] if token[0] == "." else "--")
        else:
            out.append(_BRACKETS.get(token, lower))
    return out


def ptb_tokenize(caption: str) -> list[str]:
    """Tokens of `caption` as pycocoevalcap's PTBTokenizer gives them (lower case, punctuation removed).

    Args:
        caption: one caption, any text (newlines count as spaces).

    Returns:
        The tokens, in order; join them with single spaces for pycocoevalcap's string form.

    Example:
        >>> " ".join(ptb_tokenize("A red circle, top-left of the U.S. flag; it doesn't (really) move."))
        "a red circle top-left of the u.s. flag it does n't -lrb- really -rrb- move"
    """
    tokens = []
    for chunk in caption.replace("&amp;", "&").translate(_NORMALISE).split():
        tokens.extend(t for t in _raw_tokens(chunk) if t not in PUNCTUATION)
    return tokens
