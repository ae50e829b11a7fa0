"""What pickers offer: records of a relation's target form, and members for user fields.

Both are paged by keyset (newest records first; members by id) and never load a whole form: a search
is a ``contains`` filter on the title field through ``records.queries`` (scope filter and field mask
included), a page at most ``MAX_PAGE`` items. Titles of chosen ids come the same way, so a form shows
"ACME Ltd" for record 12 only if the actor may read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from formflow.accounts.models import Membership, User
from formflow.conditions.kinds import MAX_TEXT_LENGTH
from formflow.errors import NotFound
from formflow.fields.base import Field, FieldContext
from formflow.forms.models import Form
from formflow.i18n import current_locale, gettext
from formflow.permissions.actor import Actor
from formflow.records.access import RECORD_KIND, current_version, reference_kind, sibling_form
from formflow.records.queries import RecordQuery, query_records

#: most items one picker page holds
MAX_PAGE = 50
#: items a picker page holds unless asked for fewer
DEFAULT_PAGE = 20
#: most ids whose titles one call resolves
MAX_TITLES = 200


@dataclass(frozen=True)
class Choice:
    """One item a picker offers: an id and the text people recognise it by."""

    id: int
    title: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title}


@dataclass(frozen=True)
class ChoicePage:
    """A page of choices and the cursor of the next page (None on the last)."""

    items: list[Choice]
    next_cursor: str | None


def _ids(values: Iterable[Any]) -> list[int]:
    result = []
    for value in values:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
            result.append(int(text))
    return list(dict.fromkeys(result))[:MAX_TITLES]


def _page_size(limit: int | None) -> int:
    return DEFAULT_PAGE if limit is None else max(1, min(int(limit), MAX_PAGE))


class RecordChoices:
    """Records of the form a relation field points at, titled by its display (or title) field."""

    def __init__(self, session: Session, actor: Actor, form: Form, field: Field) -> None:
        kind = reference_kind(field) or ""
        target = (sibling_form(session, form, kind[len(RECORD_KIND):]) if kind.startswith(RECORD_KIND)
                  else None)
        if target is None or target.current_version_id is None or target.workspace_id != actor.workspace_id:
            raise NotFound(gettext("The linked form does not exist or is not published."))
        self.session = session
        self.actor = actor
        self.target = target
        version = current_version(session, target)
        chosen = field.get("display_field")
        self.title_field = (version.fields.get(chosen) if chosen else None) or version.title_field

    def _titled(self, items: list[dict[str, Any]]) -> list[Choice]:
        context = FieldContext(timezone=self.actor.timezone, locale=current_locale(),
                               actor_user_id=self.actor.user_id)
        title = self.title_field
        choices = []
        for item in items:
            value = item["data"].get(title.key) if title is not None else None
            text = "" if title is None or value is None else title.type.display(title, value, context)
            choices.append(Choice(item["id"], text or f"#{item['id']}"))
        return choices

    def _query(self, **query: Any) -> Any:
        fields = [self.title_field.key] if self.title_field is not None else []
        return query_records(self.session, self.actor, self.target,
                             RecordQuery(fields=fields, with_total=False, **query))

    def search(self, text: str, cursor: str | None = None, limit: int | None = None) -> ChoicePage:
        """Records whose title contains ``text`` (all, without text), newest first."""
        text = text.strip()[:MAX_TEXT_LENGTH]
        condition = None
        if text and self.title_field is not None and self.title_field.value_kind == "text":
            condition = {"field": self.title_field.key, "op": "contains", "value": text}
        page = self._query(filter=condition, search=text if text and condition is None else None,
                           sort=["-id"], cursor=cursor or None, limit=_page_size(limit))
        return ChoicePage(self._titled(page.items), page.next_cursor)

    def titles(self, ids: Iterable[Any]) -> dict[int, str]:
        """Titles of the records among ``ids`` the actor may see."""
        wanted = _ids(ids)
        if not wanted:
            return {}
        page = self._query(filter={"field": "id", "op": "in", "value": wanted}, limit=len(wanted))
        return {choice.id: choice.title for choice in self._titled(page.items)}


class MemberChoices:
    """Active members of the actor's workspace, titled by name (and searched by name or email)."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def _members(self) -> Any:
        return (select(User.id, User.name, User.email).join(Membership, Membership.user_id == User.id)
                .where(Membership.workspace_id == self.actor.workspace_id, User.is_active.is_(True)))

    def search(self, text: str, cursor: str | None = None, limit: int | None = None) -> ChoicePage:
        """Members whose name or email contains ``text``, by id; the cursor is the last id seen."""
        statement = self._members()
        text = text.strip()[:200]
        if text:
            pattern = "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
            statement = statement.where(or_(User.name.ilike(pattern, escape="!"),
                                            User.email.ilike(pattern, escape="!")))
        after = _ids([cursor]) if cursor else []
        if after:
            statement = statement.where(User.id > after[0])
        size = _page_size(limit)
        rows = self.session.execute(statement.order_by(User.id).limit(size + 1)).all()
        items = [Choice(row.id, row.name or row.email) for row in rows[:size]]
        return ChoicePage(items, str(items[-1].id) if len(rows) > size else None)

    def titles(self, ids: Iterable[Any]) -> dict[int, str]:
        """Names of the members among ``ids``."""
        wanted = _ids(ids)
        if not wanted:
            return {}
        rows = self.session.execute(self._members().where(User.id.in_(wanted))).all()
        return {row.id: row.name or row.email for row in rows}


def choices_for(session: Session, actor: Actor, form: Form, field: Field) -> RecordChoices | MemberChoices:
    """The choices of a reference field: members for ``user`` ids, records for ``record:<form>``."""
    kind = reference_kind(field)
    if kind == "user":
        return MemberChoices(session, actor)
    if kind is not None and kind.startswith(RECORD_KIND):
        return RecordChoices(session, actor, form, field)
    raise NotFound(gettext("This field has no choices to pick from."))
