"""The procedural `shapes-skills` suite: counting, binding, occlusion, comparative, position and relation."""

from xmbench.data.shapes_skills.suite import ShapesSkillsSuite

__all__ = ["ShapesSkillsSuite"]
