"""The formula language: a safe subset of Python expressions, checked with ``ast`` and interpreted here.

Allowed: numbers and strings, field keys, ``+ - * / %``, comparisons (``== != < <= > >=``), ``and or
not``, parentheses, and calls of the functions in ``functions`` (ROUND, ABS, MIN, MAX, SUM, IF,
CONCAT, LEN, DAYS, TODAY). ``items.amount`` (a subtable column) is allowed only as an argument of SUM,
MIN and MAX. Nothing else parses: no attribute access, subscripts, lambdas, comprehensions, names
starting with "_", keyword arguments or calls of anything outside the registry; ``**`` is refused (one
``9**9**9`` would hang the server). Expressions are interpreted node by node, never ``eval``'d.

Semantics: numbers are Decimals (so 0.1 + 0.2 == 0.3); date + n and date - n move by days and
date - date is a number of days; a comparison with a missing value is false (as in conditions); any
other failure (a missing value in arithmetic, division by zero, mixed types) makes the result null.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from formflow.registry import Registry

#: longest expression accepted
MAX_LENGTH = 2000
#: most AST nodes in one expression
MAX_NODES = 400
#: longest text a formula may produce
MAX_TEXT = 10_000


class FormulaSyntaxError(ValueError):
    """The expression is not a formula; ``message`` is English, to translate, with ``params``."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class EvaluationError(Exception):
    """The formula has no value for this data (missing value, division by zero, mixed types)."""


@dataclass(frozen=True)
class Environment:
    """What a running formula sees: values by key, subtable columns, the workspace's today."""

    values: Mapping[str, Any]
    #: subtable key -> column key -> the column's values, one per row
    columns: Mapping[str, Mapping[str, list[Any]]]
    today: date
    timezone: Any


@dataclass(frozen=True)
class Function:
    """One formula function: its name, how many arguments it takes, and what it does."""

    name: str
    min_args: int
    max_args: int | None
    call: Callable[..., Any]
    #: receives thunks (callables) instead of values, to evaluate only the branch it needs
    lazy: bool = False
    #: accepts subtable columns (``items.amount``) as arguments
    takes_columns: bool = False
    #: accepts missing values (else a missing argument makes the formula null)
    takes_missing: bool = False
    #: receives the Environment first (today, timezone)
    takes_environment: bool = False


functions: Registry[Function] = Registry("formula function")


def _number(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    raise EvaluationError("not a number")


def _flatten(arguments: tuple[Any, ...]) -> list[Any]:
    flat: list[Any] = []
    for argument in arguments:
        flat.extend(argument if isinstance(argument, list) else [argument])
    return [value for value in flat if value is not None]


def _round(value: Any, places: Any = Decimal(0)) -> Decimal:
    digits = _number(places)
    if digits != digits.to_integral_value() or not 0 <= digits <= 10:
        raise EvaluationError("bad places")
    return _number(value).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def call(*arguments: Any) -> Any:
        values = _flatten(arguments)
        if not values:
            return None
        try:
            return pick(values)
        except TypeError:
            raise EvaluationError("values of different types") from None

    return call


def _sum(*arguments: Any) -> Decimal:
    return sum((_number(value) for value in _flatten(arguments)), Decimal(0))


def _if(
    condition: Callable[[], Any], then: Callable[[], Any], otherwise: Callable[[], Any] | None = None
) -> Any:
    if truthy(condition()):
        return then()
    return otherwise() if otherwise is not None else None


def _concat(*arguments: Any) -> str:
    return "".join("" if value is None else text(value) for value in arguments)


def _len(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, list):
        return Decimal(len(value))
    return Decimal(len(text(value)))


def _today(environment: Environment) -> date:
    return environment.today


def _days(environment: Environment, end: Any, start: Any) -> Decimal:
    return Decimal((_local_day(end, environment) - _local_day(start, environment)).days)


for _entry in (
    Function("ROUND", 1, 2, _round),
    Function("ABS", 1, 1, lambda value: abs(_number(value))),
    Function("MIN", 1, None, _extreme(min), takes_columns=True, takes_missing=True),
    Function("MAX", 1, None, _extreme(max), takes_columns=True, takes_missing=True),
    Function("SUM", 1, None, _sum, takes_columns=True, takes_missing=True),
    Function("IF", 2, 3, _if, lazy=True),
    Function("CONCAT", 1, None, _concat, takes_missing=True),
    Function("LEN", 1, 1, _len, takes_missing=True),
    Function("DAYS", 2, 2, _days, takes_environment=True),
    Function("TODAY", 0, 0, _today, takes_environment=True),
):
    functions.register(_entry)


def truthy(value: Any) -> bool:
    """Formula truth: missing, false, zero and "" are false."""
    return bool(value)


def text(value: Any) -> str:
    """A formula value as text: numbers without exponent, dates in ISO, booleans TRUE/FALSE."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value != value.to_integral_value() else f"{int(value)}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- parsing ---------------------------------------------------------------------------------------

_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod)
_UNARY = (ast.USub, ast.UAdd, ast.Not)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@lru_cache(maxsize=1024)
def parse(expression: str) -> ast.Expression:
    """The checked syntax tree of ``expression``; FormulaSyntaxError says what is not allowed."""
    if not expression or not expression.strip():
        raise FormulaSyntaxError("The formula is empty")
    if len(expression) > MAX_LENGTH:
        raise FormulaSyntaxError("The formula is longer than %(count)s characters", count=MAX_LENGTH)
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaSyntaxError("Syntax error at character %(offset)s", offset=error.offset or 0) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaSyntaxError("The formula is too complex") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaSyntaxError("The formula is too complex")
    _check(tree.body)
    return tree


def _check(node: ast.AST, column_allowed: bool = False) -> None:
    """Refuse every node outside the language (see the module docstring)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str) and not (
            isinstance(node.value, str) and len(node.value) > MAX_TEXT
        ):
            return
        raise FormulaSyntaxError(
            "This value is not allowed in a formula: %(value)s", value=repr(node.value)[:40]
        )
    if isinstance(node, ast.Name):
        _check_name(node.id)
        return
    if isinstance(node, ast.Attribute):
        if column_allowed and isinstance(node.value, ast.Name):
            _check_name(node.value.id)
            _check_name(node.attr)
            return
        raise FormulaSyntaxError(
            "Attribute access is not allowed; use a subtable column only inside SUM, MIN or MAX"
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
        _check(node.left)
        _check(node.right)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY):
        _check(node.operand)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value)
        return
    if isinstance(node, ast.Compare) and all(isinstance(op, _COMPARE) for op in node.ops):
        _check(node.left)
        for comparator in node.comparators:
            _check(comparator)
        return
    if isinstance(node, ast.Call):
        _check_call(node)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        raise FormulaSyntaxError("The power operator ** is not allowed")
    raise FormulaSyntaxError("This is not allowed in a formula: %(what)s", what=type(node).__name__)


def _check_name(name: str) -> None:
    if name.startswith("_"):
        raise FormulaSyntaxError("Names starting with _ are not allowed: %(name)s", name=name)


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in functions:
        name = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
        raise FormulaSyntaxError("Unknown function %(name)s", name=name)
    function = functions.get(node.func.id)
    if node.keywords or any(isinstance(argument, ast.Starred) for argument in node.args):
        raise FormulaSyntaxError("%(name)s takes plain arguments", name=function.name)
    count = len(node.args)
    if count < function.min_args or (function.max_args is not None and count > function.max_args):
        raise FormulaSyntaxError("Wrong number of arguments for %(name)s", name=function.name)
    for argument in node.args:
        _check(argument, column_allowed=function.takes_columns)


def references(expression: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The field keys an expression reads as values, and the (subtable, column) pairs it aggregates."""
    tree = parse(expression)
    not_values: set[int] = set()
    columns: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            not_values.add(id(node.func))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            not_values.add(id(node.value))
            columns.add((node.value.id, node.attr))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in not_values}
    return names, columns


# -- evaluation ------------------------------------------------------------------------------------


def evaluate(expression: str, environment: Environment) -> Any:
    """The value of ``expression``; None when it has none (see the module docstring)."""
    tree = parse(expression)
    try:
        with localcontext() as decimal_context:
            decimal_context.prec = 28
            return _evaluate(tree.body, environment)
    except (EvaluationError, ArithmeticError, InvalidOperation, TypeError, ValueError, OverflowError):
        return None


def _evaluate(node: ast.AST, environment: Environment) -> Any:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool | str):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(node, ast.Name):
        return environment.values.get(node.id)
    if isinstance(node, ast.Attribute):
        return list(environment.columns.get(node.value.id, {}).get(node.attr, []))  # type: ignore[attr-defined]
    if isinstance(node, ast.BoolOp):
        results = (truthy(_evaluate(value, environment)) for value in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, environment)
        if isinstance(node.op, ast.Not):
            return not truthy(operand)
        return -_number(operand) if isinstance(node.op, ast.USub) else +_number(operand)
    if isinstance(node, ast.BinOp):
        return _binary(node.op, _evaluate(node.left, environment), _evaluate(node.right, environment))
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, environment)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, environment)
            if not _compare(op, left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        return _call(node, environment)
    raise EvaluationError(type(node).__name__)  # unreachable: parse() refused it


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    if left is None or right is None:
        raise EvaluationError("missing value")
    numbers = isinstance(left, Decimal) and isinstance(right, Decimal)
    if isinstance(op, ast.Add):
        if numbers or (isinstance(left, str) and isinstance(right, str)):
            return left + right
        if isinstance(left, date) and isinstance(right, Decimal):
            return left + timedelta(days=int(right))
        if isinstance(left, Decimal) and isinstance(right, date):
            return right + timedelta(days=int(left))
    elif isinstance(op, ast.Sub):
        if numbers:
            return left - right
        if isinstance(left, date) and isinstance(right, Decimal):
            return left - timedelta(days=int(right))
        if isinstance(left, datetime) and isinstance(right, datetime):
            return Decimal((left - right).total_seconds()) / Decimal(86400)
        if (
            isinstance(left, date)
            and isinstance(right, date)
            and not isinstance(left, datetime)
            and not isinstance(right, datetime)
        ):
            return Decimal((left - right).days)
    elif numbers:
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right
        return left % right
    raise EvaluationError("operands of different types")


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, bool) != isinstance(right, bool) or (
        type(left) is not type(right) and not (isinstance(left, Decimal) and isinstance(right, Decimal))
    ):
        if isinstance(op, ast.Eq | ast.NotEq):
            return isinstance(op, ast.NotEq)
        raise EvaluationError("values of different types")
    comparisons: dict[type, Callable[[Any, Any], bool]] = {
        ast.Eq: lambda a, b: a == b,
        ast.NotEq: lambda a, b: a != b,
        ast.Lt: lambda a, b: a < b,
        ast.LtE: lambda a, b: a <= b,
        ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b,
    }
    return comparisons[type(op)](left, right)


def _call(node: ast.Call, environment: Environment) -> Any:
    function = functions.get(node.func.id)  # type: ignore[attr-defined]
    leading = (environment,) if function.takes_environment else ()
    if function.lazy:
        return function.call(
            *leading, *(lambda argument=argument: _evaluate(argument, environment) for argument in node.args)
        )
    arguments = [_evaluate(argument, environment) for argument in node.args]
    if not function.takes_missing and any(value is None for value in arguments):
        raise EvaluationError("missing value")
    return function.call(*leading, *arguments)


def _local_day(value: Any, environment: Environment) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(environment.timezone).date()
    return value


def today(now: datetime | None, timezone: Any) -> date:
    """The workspace's date at ``now`` (default: the current time)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(timezone).date()
