"""Protocol presets for the real suites: the recipes behind the numbers papers report.

    from xmbench.protocols import get_protocol, evaluate_protocol
    protocol = get_protocol("cub")
    values = evaluate_protocol(protocol, suite, generator, weights={...})

See docs/protocols.md for each recipe and how it relates to torch-fidelity, torchmetrics, clean-fid
and the original papers.
"""

from xmbench.protocols.captioning import CaptionProtocol
from xmbench.protocols.evaluate import evaluate_protocol, reference_features
from xmbench.protocols.presets import Protocol, Stage, get_protocol, list_protocols

__all__ = [
    "CaptionProtocol",
    "Protocol",
    "Stage",
    "evaluate_protocol",
    "get_protocol",
    "list_protocols",
    "reference_features",
]
