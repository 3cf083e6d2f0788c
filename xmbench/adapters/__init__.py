"""Adapters that evaluate models of other libraries through xmbench's contracts.

`diffusers` wraps a diffusers pipeline as a Generator (text -> image), `transformers` a transformers
image-to-text model as a Captioner; `hub` holds what both share (finding the model's files, offline
checks, options, per-sample seeds). Each imports its library only when a config names its kind:
xmbench runs without them (`pip install 'xmbench[hf]'` adds them).
"""
