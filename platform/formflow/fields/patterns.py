"""Field patterns (text ``pattern``): compiled with the ``regex`` module, refused when catastrophic,
run with a timeout.

A pattern comes from a form designer, so it is untrusted: nested quantifiers such as ``(a+)+`` make
backtracking exponential. ``check_pattern`` refuses those when the form is saved; anything slow that the
check misses (overlapping alternatives like ``(a|a)*``) is stopped at run time by the timeout.
Patterns are deliberately not put in the JSON Schema: jsonschema would run them with ``re``, which has
no timeout.
"""

from __future__ import annotations

from functools import lru_cache

import regex

#: seconds one pattern may run on one value; the REGEX_TIMEOUT setting overrides it via FieldContext.extra
DEFAULT_TIMEOUT = 0.05
#: longest pattern a definition may hold
MAX_PATTERN_LENGTH = 500

_QUANTIFIER = regex.compile(r"\{(\d*)(?:(,)(\d*))?\}")


class PatternTimeout(Exception):
    """The pattern ran past its time budget on a value."""


def _quantifier(pattern: str, index: int) -> tuple[tuple[int, int | None] | None, int]:
    """The quantifier starting at ``index`` as (min, max or None for unbounded), and the index after it."""
    if index >= len(pattern):
        return None, index
    char = pattern[index]
    if char in "*+?":
        bounds: tuple[int, int | None] = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        end = index + 1
    elif char == "{":
        match = _QUANTIFIER.match(pattern, index)
        if not match or (not match.group(1) and not match.group(3) and match.group(2)):
            return None, index
        low = int(match.group(1) or 0)
        high = (int(match.group(3)) if match.group(3) else None) if match.group(2) else low
        bounds = (low, high)
        end = match.end()
    else:
        return None, index
    if end < len(pattern) and pattern[end] in "?+":  # lazy or possessive
        end += 1
    return bounds, end


def _class_end(pattern: str, index: int) -> int:
    """The index after the character class opening at ``index`` (nested sets of ``regex`` included)."""
    depth, position = 0, index
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
            continue
        if char == "[":
            depth += 1
            position += 1
            if position < len(pattern) and pattern[position] == "^":
                position += 1
            if position < len(pattern) and pattern[position] == "]":
                position += 1
            continue
        if char == "]":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return position


def has_nested_quantifier(pattern: str) -> bool:
    """True when a group holding an unbounded quantifier is itself repeated: ``(a+)+``, ``(\\w*\\s?)*``."""
    # one flag per open group: does it hold an unbounded quantifier?
    stack = [False]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
        elif char == "[":
            index = _class_end(pattern, index)
        elif char == "(":
            stack.append(False)
            index += 1
            if index < len(pattern) and pattern[index] == "?":  # (?:  (?P<name>  (?=  ...
                index += 1
        elif char == ")":
            inner = stack.pop() if len(stack) > 1 else False
            bounds, index = _quantifier(pattern, index + 1)
            if bounds is not None:
                if inner and (bounds[1] is None or bounds[1] > 1):
                    return True
                inner = inner or bounds[1] is None
            stack[-1] = stack[-1] or inner
        else:
            bounds, after = _quantifier(pattern, index)
            if bounds is not None:
                stack[-1] = stack[-1] or bounds[1] is None
                index = after
            else:
                index += 1
    return False


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used (an English message to translate), or None."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return "The pattern is too long"
    try:
        _compiled(pattern)
    except regex.error:
        return "The pattern is not a valid regular expression"
    if has_nested_quantifier(pattern):
        return "The pattern repeats a repetition, like (a+)+, which can take forever"
    return None


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def pattern_matches(pattern: str, value: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """``pattern`` matches somewhere in ``value`` (anchor it with ^...$ for the whole value).

    Raises PatternTimeout when the match runs longer than ``timeout`` seconds.
    """
    try:
        return _compiled(pattern).search(value, timeout=timeout) is not None
    except TimeoutError:
        raise PatternTimeout(pattern) from None
