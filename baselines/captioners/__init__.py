"""Reference captioners (image -> text): Show and Tell, Show-Attend-Tell, the shared-latent model
(which also generates images) and the retrieval captioner.

`trained_captioner(name)` loads a trained one (a checkpoint, or the shipped reference weights);
`xmbench train NAME` trains one with the same machinery as the GANs (baselines.training).
"""

from __future__ import annotations

from baselines.captioners.base import TrainableCaptioner
from baselines.captioners.shared_latent import SharedLatent
from baselines.captioners.show_attend_tell import ShowAttendTell
from baselines.captioners.show_tell import ShowAndTell

#: trainable captioner classes by name
TRAINABLE_CAPTIONERS: dict[str, type[TrainableCaptioner]] = {
    cls.name: cls for cls in (ShowAndTell, ShowAttendTell, SharedLatent)
}

__all__ = ["TRAINABLE_CAPTIONERS", "SharedLatent", "ShowAndTell", "ShowAttendTell", "TrainableCaptioner"]
