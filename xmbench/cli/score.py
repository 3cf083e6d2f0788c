"""`xmbench score DIR1 DIR2`: unconditional FD / KID / IS / PRDC between two image folders, no config."""

from __future__ import annotations

import argparse

from xmbench.cli.types import count


def _score(args: argparse.Namespace) -> int:
    from xmbench.errors import InputError, unknown_name
    from xmbench.extractors import get_extractor, list_extractors
    from xmbench.outputs import JSON, check_output_file
    from xmbench.score_folders import check_metrics, folder_images, score_folders

    # every mistake before any image is read: folders, metrics, output file, extractor (and its weights)
    generated, reference = folder_images(args.generated), folder_images(args.reference)
    metrics = check_metrics([m.strip() for m in args.metrics.split(",") if m.strip()], (len(generated), len(reference)))
    if not metrics:
        raise InputError("--metrics names no metric; pass e.g. --metrics fd,kid")
    if args.json:
        check_output_file(args.json, "--json", JSON)
    if args.extractor not in list_extractors():
        raise unknown_name("extractor", args.extractor, list_extractors())
    options = {"weights": args.weights} if args.weights else {}
    extractor = get_extractor(args.extractor, device=args.device, **options)
    scores = score_folders(generated, reference, extractor, metrics, args.batch_size)
    print(
        f"{args.generated} ({len(generated)} images) against {args.reference} ({len(reference)} images), "
        f"extractor {extractor.info.id}, resized to {scores.resolution}px"
    )
    width = max(len(name) for name in scores.values)
    for name, value in scores.values.items():
        print(f"{name:{width}s}  {value.value:.6g}" if value.value is not None else f"{name:{width}s}  n/a")
    if args.json:
        from xmbench.atomic import atomic_write_json

        atomic_write_json(args.json, scores.to_dict(args.generated, args.reference))
        print(f"wrote {args.json}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="unconditional metrics between two image folders (generated, reference), without a config",
        description="FD / KID / IS / PRDC between the images of DIR1 (generated) and DIR2 (reference); every "
        "image is centre-cropped and resized (PIL bicubic) to the extractor's input size.",
    )
    p.add_argument("generated", metavar="DIR1", help="folder of generated images")
    p.add_argument("reference", metavar="DIR2", help="folder of reference (real) images")
    p.add_argument("--metrics", default="fd,kid,is,prdc", help="comma-separated metrics (default fd,kid,is,prdc)")
    p.add_argument("--extractor", default="inception-v3-fid", help="feature extractor (see `xmbench extractors`)")
    p.add_argument("--weights", default=None, help="the extractor's weights file (default: the standard location)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--batch-size", type=count, default=50, help="images per forward pass (default 50)")
    p.add_argument("--json", default=None, metavar="OUT", help="also write the values to this JSON file")
    p.set_defaults(func=_score)
