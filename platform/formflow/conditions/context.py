"""What a condition is evaluated against besides the record: who asks, their team, where and when.

Relative dates (``date_is``, ``within_last_days``, ``within_next_days``) are whole calendar days in the
workspace's timezone: "today" in Asia/Shanghai starts at 16:00 UTC of the day before. Weeks start on
Monday; quarters are Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

#: the workspace timezone when none is given (DESIGN.md: zh-CN first)
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class DateSpan:
    """Whole days from ``first`` to ``last`` (both included) in ``timezone``."""

    first: date
    last: date
    timezone: str

    def contains_date(self, value: date) -> bool:
        """Whether a calendar date falls in the span."""
        return self.first <= value <= self.last

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The span as instants: ``[start, end)`` in UTC (local midnights, DST-aware)."""
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return start, end

    def contains_instant(self, value: datetime) -> bool:
        """Whether an aware instant falls in the span."""
        start, end = self.utc_bounds()
        return start <= value < end


def _add_months(value: date, months: int) -> date:
    """The first day of the month ``months`` after ``value``'s month."""
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class CalendarUnit:
    """A unit periods are counted in: where one starts, and the start ``count`` units later."""

    name: str
    start: Callable[[date], date]
    shift: Callable[[date, int], date]

    def span(self, today: date, offset: int, timezone: str) -> DateSpan:
        """The unit containing ``today``, moved by ``offset`` units."""
        first = self.shift(self.start(today), offset)
        return DateSpan(first, self.shift(first, 1) - timedelta(days=1), timezone)


UNITS = (
    CalendarUnit("day", lambda day: day, lambda day, count: day + timedelta(days=count)),
    CalendarUnit("week", lambda day: day - timedelta(days=day.weekday()),
                 lambda day, count: day + timedelta(weeks=count)),
    CalendarUnit("month", lambda day: day.replace(day=1), _add_months),
    CalendarUnit("quarter", lambda day: date(day.year, (day.month - 1) // 3 * 3 + 1, 1),
                 lambda day, count: _add_months(day, 3 * count)),
    CalendarUnit("year", lambda day: date(day.year, 1, 1),
                 lambda day, count: date(day.year + count, 1, 1)),
)


def _period_names() -> dict[str, tuple[CalendarUnit, int]]:
    names: dict[str, tuple[CalendarUnit, int]] = {}
    for unit in UNITS:
        if unit.name == "day":
            names.update({"yesterday": (unit, -1), "today": (unit, 0), "tomorrow": (unit, 1)})
        else:
            for prefix, offset in (("last", -1), ("this", 0), ("next", 1)):
                names[f"{prefix}_{unit.name}"] = (unit, offset)
    return names


#: the period names ``date_is`` accepts, each a (unit, offset from the current one)
PERIODS: dict[str, tuple[CalendarUnit, int]] = _period_names()


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EvaluationContext:
    """The actor, their team, the workspace timezone (IANA name) and the moment of evaluation."""

    user_id: int | None = None
    team_user_ids: tuple[int, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    now: datetime = field(default_factory=_utcnow)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("EvaluationContext.now must be timezone-aware")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not in the middle of a query
        object.__setattr__(self, "team_user_ids", tuple(self.team_user_ids))

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> EvaluationContext:
        """A context from the vectors' JSON form ``{"user", "team", "timezone", "now"}``."""
        now = datetime.fromisoformat(value["now"]) if value.get("now") else _utcnow()
        return cls(user_id=value.get("user"), team_user_ids=tuple(value.get("team") or ()),
                   timezone=value.get("timezone") or DEFAULT_TIMEZONE, now=now)

    def today(self) -> date:
        """The current calendar date in the workspace timezone."""
        return self.now.astimezone(ZoneInfo(self.timezone)).date()

    def period(self, name: str) -> DateSpan:
        """The days of a named period (``this_week``, ``last_quarter``...); KeyError when unknown."""
        unit, offset = PERIODS[name]
        return unit.span(self.today(), offset, self.timezone)

    def last_days(self, count: int) -> DateSpan:
        """``count`` days before today through today (``count=0``: today only)."""
        today = self.today()
        return DateSpan(today - timedelta(days=count), today, self.timezone)

    def next_days(self, count: int) -> DateSpan:
        """Today through ``count`` days after today (``count=0``: today only)."""
        today = self.today()
        return DateSpan(today, today + timedelta(days=count), self.timezone)

    def variable(self, name: str) -> Any:
        """The value of ``{"var": name}``; KeyError when unknown."""
        return VARIABLES[name].resolve(self)


@dataclass(frozen=True)
class Variable:
    """A named value a condition may use in place of a literal (``{"var": "me"}``)."""

    name: str
    #: a list of user ids (``my_team``) rather than one user id (``me``)
    is_list: bool
    resolve: Callable[[EvaluationContext], Any]


VARIABLES: dict[str, Variable] = {
    variable.name: variable
    for variable in (Variable("me", False, lambda context: context.user_id),
                     Variable("my_team", True, lambda context: list(context.team_user_ids)))
}


def period_names() -> Iterable[str]:
    """Every period name ``date_is`` accepts, in a stable order."""
    return PERIODS.keys()
