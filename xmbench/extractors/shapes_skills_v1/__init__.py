"""`shapes-skills-v1`: the shapes-skills evaluator, trained by `xmbench train-evaluator --suite shapes-skills`."""

from xmbench.extractors.shapes_skills_v1.extractor import ShapesSkillsV1Extractor

__all__ = ["ShapesSkillsV1Extractor"]
