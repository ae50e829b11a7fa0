"""Compile a workflow version into a ``transitions`` machine, once per version, shared by every request.

The machine is built with ``model=None`` and ``auto_transitions=False``: it holds the states, one
event per transition key, and per transition its conditions (roles, then the guard through the
Python condition evaluator) and ``after`` callbacks (the actions). It never holds a model. Each
attempt creates its own ``TransitionRun`` and fires the event on it directly
(``machine.events[key].trigger(run)``), which reads and writes only that run: the library's state
lives on the model, the machine is only read, and an unqueued machine keeps no per-call state; so one
machine serves concurrent requests without a lock (tests/workflows/test_compiler.py hammers it from
threads). Versions are immutable, so compiled workflows are cached by version id.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from transitions import EventData, Machine

from formflow.conditions import tree
from formflow.conditions.context import EvaluationContext
from formflow.conditions.python import evaluate
from formflow.errors import NotFound
from formflow.fields.base import Field
from formflow.i18n import gettext, label
from formflow.workflows import guards
from formflow.workflows.actions import registry as actions
from formflow.workflows.definition import MAX_GUARD_DEPTH, sources_of
from formflow.workflows.models import WorkflowVersion

#: compiled versions kept per database engine (the benchmark compiles 1,000)
CACHE_SIZE = 2048
#: role names as users read them
ROLE_LABELS = {"admin": guards.N_("administrators"), "member": guards.N_("members"),
               "owner": guards.N_("the record's owner")}


@dataclass(frozen=True)
class CompiledState:
    """A state as the runtime reads it."""

    key: str
    label: dict[str, str]
    color: str | None
    terminal: bool
    required_fields: tuple[str, ...]
    #: role -> field key -> "write" | "read" | "hidden"
    field_access: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class CompiledTransition:
    """A transition with its guard parsed and its sources expanded."""

    key: str
    label: dict[str, str]
    sources: frozenset[str]
    target: str
    #: who may take it; empty: anyone who may change the form's records
    roles: frozenset[str]
    guard: tree.Condition | None
    guard_message: dict[str, str] | None
    required_fields: tuple[str, ...]
    editable_fields: tuple[str, ...]
    comment_required: bool
    actions: tuple[Mapping[str, Any], ...]

    def allows_role(self, roles: frozenset[str]) -> bool:
        """Whether an actor with ``roles`` may take this transition (roles only, not the guard)."""
        return not self.roles or bool(self.roles & roles)

    def role_refusal(self) -> str:
        """Why an actor without the roles may not take it."""
        names = ", ".join(gettext(ROLE_LABELS.get(role, role)) for role in sorted(self.roles))
        return gettext("Only %(roles)s may %(transition)s.", roles=names, transition=label(self.label))


@dataclass
class TransitionRun:
    """One attempt to take a transition: the model the machine moves (never shared between calls)."""

    #: the record's state; the machine sets it to the target when the transition goes ahead
    state: str
    #: the actor's roles for this record (``runtime.actor_roles``)
    roles: frozenset[str]
    #: the record's values the guard reads: data (after the transition's changes) and system fields
    values: Mapping[str, Any]
    context: EvaluationContext
    actor_user_id: int | None
    timezone: str
    now: datetime
    #: field values the transition's actions set (raw input, validated by the record service)
    changes: dict[str, Any] = field(default_factory=dict)
    #: why the machine refused (roles or guard), in the current locale
    refusals: list[str] = field(default_factory=list)


@dataclass
class CompiledWorkflow:
    """A workflow version ready to run: states, transitions, and its machine."""

    version_id: int | None
    definition: dict[str, Any]
    initial: str
    states: dict[str, CompiledState]
    transitions: dict[str, CompiledTransition]
    fields: Mapping[str, Field]
    machine: Machine

    def transitions_from(self, state: str | None) -> list[CompiledTransition]:
        """The transitions that leave ``state``, in definition order."""
        return [item for item in self.transitions.values() if state in item.sources]

    def guard_reasons(self, transition: CompiledTransition, run: TransitionRun) -> list[str]:
        """Why the transition's guard is false for the run (empty when it holds)."""
        if transition.guard is None or evaluate(transition.guard, run.values, run.context):
            return []
        if transition.guard_message:
            return [label(transition.guard_message)]
        return guards.explain(transition.guard, run.values, run.context, self.fields) or [
            gettext("The conditions for this step are not met.")]

    def fire(self, transition: CompiledTransition, run: TransitionRun) -> bool:
        """Take ``transition`` on ``run`` through the machine: True when it went ahead (``run.state``
        is the target and the actions ran), False when a condition refused (``run.refusals`` says why).
        """
        return bool(self.machine.events[transition.key].trigger(run))


def _roles_condition(transition: CompiledTransition) -> Any:
    def allowed(event: EventData) -> bool:
        run: TransitionRun = event.model
        if transition.allows_role(run.roles):
            return True
        run.refusals.append(transition.role_refusal())
        return False

    return allowed


def _guard_condition(workflow: CompiledWorkflow, transition: CompiledTransition) -> Any:
    def holds(event: EventData) -> bool:
        run: TransitionRun = event.model
        reasons = workflow.guard_reasons(transition, run)
        run.refusals.extend(reasons)
        return not reasons

    return holds


def _action_callback(config: Mapping[str, Any]) -> Any:
    action = actions.get(config["type"])

    def run_action(event: EventData) -> None:
        action.apply(config, event.model)

    return run_action


def compile_workflow(definition: dict[str, Any], fields: Mapping[str, Field],
                     version_id: int | None = None) -> CompiledWorkflow:
    """Prepare a checked definition (``definition.check_workflow``) for a form with ``fields``."""
    states_by_key = {item["key"]: item for item in definition["states"]}
    states = {key: CompiledState(key=key, label=item["label"], color=item.get("color"),
                                 terminal=bool(item.get("terminal")),
                                 required_fields=tuple(item.get("required_fields") or ()),
                                 field_access=item.get("field_access") or {})
              for key, item in states_by_key.items()}
    transitions: dict[str, CompiledTransition] = {}
    for item in definition["transitions"]:
        guard = item.get("guard")
        transitions[item["key"]] = CompiledTransition(
            key=item["key"], label=item["label"], sources=frozenset(sources_of(item, states_by_key)),
            target=item["to"], roles=frozenset(item.get("roles") or ()),
            guard=tree.parse(guard, fields, MAX_GUARD_DEPTH, path=f"transitions.{item['key']}.guard")
            if guard is not None else None,
            guard_message=item.get("guard_message"),
            required_fields=tuple(item.get("required_fields") or ()),
            editable_fields=tuple(item.get("editable_fields") or ()),
            comment_required=bool(item.get("comment_required")), actions=tuple(item.get("actions") or ()))
    machine = Machine(model=None, states=list(states), initial=definition["initial"], auto_transitions=False,
                      send_event=True, ignore_invalid_triggers=False, model_attribute="state")
    workflow = CompiledWorkflow(version_id=version_id, definition=definition, initial=definition["initial"],
                                states=states, transitions=transitions, fields=fields, machine=machine)
    for transition in transitions.values():
        if not transition.sources:
            continue
        conditions = [_roles_condition(transition), _guard_condition(workflow, transition)]
        machine.add_transition(transition.key, sorted(transition.sources), transition.target,
                               conditions=conditions,
                               after=[_action_callback(config) for config in transition.actions])
    return workflow


def mermaid(workflow: CompiledWorkflow) -> str:
    """The machine as a Mermaid ``stateDiagram-v2`` (labels in the current locale)."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for state in workflow.states.values():
        lines.append(f"    {state.key} : {_mermaid_text(label(state.label))}")
    for transition in workflow.transitions.values():
        for source in sorted(transition.sources):
            lines.append(f"    {source} --> {transition.target} : {_mermaid_text(label(transition.label))}")
    lines.extend(f"    {state.key} --> [*]" for state in workflow.states.values() if state.terminal)
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace("\n", " ").replace(":", "：").replace(";", "；").replace("#", "＃") or "-"


_compiled: WeakKeyDictionary[Engine, OrderedDict[int, CompiledWorkflow]] = WeakKeyDictionary()
_compiled_lock = threading.Lock()


def compiled(session: Session, version_id: int) -> CompiledWorkflow:
    """The workflow version ``version_id`` compiled, cached per database engine and version id."""
    from formflow.forms.service import compiled as compiled_form

    bind = session.get_bind()
    engine: Engine = bind if isinstance(bind, Engine) else bind.engine
    with _compiled_lock:
        cache = _compiled.setdefault(engine, OrderedDict())
        found = cache.get(version_id)
        if found is not None:
            cache.move_to_end(version_id)
            return found
    row = session.execute(select(WorkflowVersion.definition, WorkflowVersion.form_version_id)
                          .where(WorkflowVersion.id == version_id)).first()
    if row is None:
        raise NotFound(gettext("This workflow has no such version."))
    result = compile_workflow(row.definition, compiled_form(session, row.form_version_id).fields, version_id)
    with _compiled_lock:
        cache[version_id] = result
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return result
