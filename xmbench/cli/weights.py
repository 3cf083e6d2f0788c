"""`xmbench weights list` and `xmbench weights fetch NAME`: the standard extractors' weights."""

from __future__ import annotations

import argparse


def _list(args: argparse.Namespace) -> int:
    from xmbench.extractors.standard_weights import CATALOGUE, offline
    from xmbench.filehash import sha256_file

    for weights in CATALOGUE.values():
        path = weights.path
        if path.is_file():
            state = "verified" if sha256_file(path) == weights.sha256 else "differs from the pinned sha256"
        else:
            state = "not a file" if path.exists() else "missing"
        print(f"{weights.name:18s} {state:31s} {path}")
        print(f"{'':18s} from {weights.download_url()}")
    if offline():
        print("offline (XMBENCH_OFFLINE or HF_HUB_OFFLINE): missing weights are not fetched at first use")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from xmbench.extractors.standard_weights import CATALOGUE, fetch, standard_weights
    from xmbench.outputs import check_output_file

    names = list(CATALOGUE) if args.name == "all" else [args.name]
    for name in names:  # where each file goes ($XMBENCH_HOME/weights), checked before any download
        check_output_file(standard_weights(name).path, f"XMBENCH_HOME ({name} weights)")
    for name in names:
        path = fetch(name)
        print(f"{name}: {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "weights",
        help="list or fetch the standard extractors' weights (Inception for FID, CLIP ViT-B/32)",
        description="Weights live in $XMBENCH_HOME/weights (default .xmbench/weights). Missing standard "
        "weights are fetched at first use from their canonical release and verified against a pinned "
        "sha256, unless XMBENCH_OFFLINE=1 or HF_HUB_OFFLINE=1. XMBENCH_WEIGHTS_MIRROR=URL fetches "
        "URL/<file name> instead.",
    )
    cmds = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True)
    q = cmds.add_parser("list", help="what is present, hash-verified, and where each file comes from")
    q.set_defaults(func=_list)
    q = cmds.add_parser("fetch", help="download and verify NAME (resumes an interrupted download)")
    q.add_argument("name", metavar="NAME", help="inception-v3-fid, clip-vit-b-32, or all")
    q.set_defaults(func=_fetch)
