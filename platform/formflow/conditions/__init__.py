"""The condition language: one JSON tree, evaluated in Python (``python``) and in SQL (``sql``).

``tree.parse`` checks a tree against a form's fields; ``context.EvaluationContext`` says who evaluates
it, where and when. See docs/internals.md, "Conditions".
"""

from formflow.conditions.context import EvaluationContext
from formflow.conditions.tree import Condition, parse

__all__ = ["Condition", "EvaluationContext", "parse"]
