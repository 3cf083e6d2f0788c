"""SPICE (Anderson et al. 2016) as the COCO caption evaluation computes it: pycocoevalcap's SPICE jar.

SPICE parses captions into scene graphs with Stanford CoreNLP 3.6.0 and scores the F-measure of
matching (object, attribute, relation) tuples. pycocoevalcap ships `spice-1.0.jar` but not CoreNLP:
its script downloads `stanford-corenlp-3.6.0.jar` and `stanford-corenlp-3.6.0-models.jar` (from
stanford-corenlp-full-2015-12-09.zip, nlp.stanford.edu/software) into its `spice/lib` folder.
xmbench never downloads: it runs SPICE when both files are there, and otherwise raises one
InputError naming them and the folder. SPICE needs Java 8 or newer and about 8 GB of heap.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path

import torch

from xmbench.errors import InputError
from xmbench.metrics.captioning._inputs import tokenized
from xmbench.metrics.captioning._java import pycocoevalcap_dir, require_java
from xmbench.metrics.inputs import check_count

VERSION = 1
CORENLP_JARS = ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar")
CORENLP_SOURCE = "stanford-corenlp-full-2015-12-09.zip from https://nlp.stanford.edu/software/"


def missing_corenlp_jars(lib_dir: Path) -> list[str]:
    """The CoreNLP jar names SPICE needs that `lib_dir` lacks (empty when SPICE can run).

    Example:
        >>> missing_corenlp_jars(Path("no-such-folder"))
        ['stanford-corenlp-3.6.0.jar', 'stanford-corenlp-3.6.0-models.jar']
    """
    return [name for name in CORENLP_JARS if not (lib_dir / name).is_file()]


def check_spice(lib_dir: Path | None = None) -> Path:
    """The SPICE lib folder when Java, pycocoevalcap and CoreNLP are all present; else one InputError line.

    Args:
        lib_dir: where the CoreNLP jars must be; default pycocoevalcap's `spice/lib`.
    """
    require_java("SPICE")
    lib_dir = lib_dir or pycocoevalcap_dir("SPICE") / "spice" / "lib"
    missing = missing_corenlp_jars(lib_dir)
    if missing:
        raise InputError(
            f"SPICE needs Stanford CoreNLP 3.6.0: put {' and '.join(missing)} (in {CORENLP_SOURCE}) into "
            f"{lib_dir}, or run `python -m pycocoevalcap.spice.get_stanford_models` where downloads work"
        )
    return lib_dir


def spice(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, tokenize: bool = True
) -> tuple[float, torch.Tensor]:
    """(mean SPICE F-score, per-image SPICE float64 (N,)), in [0, 1], from pycocoevalcap's jar.

    Images SPICE cannot parse score NaN per image, as in pycocoevalcap (the mean is then NaN too).

    Args:
        candidates: one generated caption per image (N).
        references: the reference captions of each image (N lists, each non-empty).
        tokenize: PTB-tokenise captions (True) or take them as already tokenised (False).

    Example:
        >>> try:  # runs where Stanford CoreNLP is installed, else says what to install
        ...     ok = spice(["a dog on a couch"], [["a dog lying on a couch"]])[0] > 0
        ... except InputError as e:
        ...     ok = "SPICE needs" in str(e)
        >>> ok
        True
    """
    cands, refs = tokenized(candidates, references, tokenize)
    check_count(len(cands), 1, "SPICE", "image")
    check_spice()
    from pycocoevalcap.spice.spice import Spice

    gts = {i: [" ".join(r) for r in rs] for i, rs in enumerate(refs)}
    res = {i: [" ".join(c)] for i, c in enumerate(cands)}
    with contextlib.redirect_stdout(io.StringIO()):
        mean, per_image = Spice().compute_score(gts, res)
    return float(mean), torch.tensor([s["All"]["f"] for s in per_image], dtype=torch.float64)
