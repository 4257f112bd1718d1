"""The migration plan: the actions findings call for, in phases keyed to the policy's dates.

Each phase ends at a policy step (an event of the pack); the last is open-ended.
Actions start on ``as_of`` or when what they depend on is due, whichever is later
(and never before their ``not_before`` event), and take their effort in calendar
days, so nothing is ever due before ``as_of``.
A phase whose deadline has passed keeps its actions, marked carried over (do now);
an action that only made sense before a step that has happened is dropped, and said so.
Once every deadline has passed the plan is a remediation plan.
"""

from __future__ import annotations

import datetime as dt

from mcn_advisor.core.contract import DroppedAction, InPlaceAction, Plan, PlannedAction, PlanPhase
from mcn_advisor.pack.compile import Pack


def build_plan(
    pack: Pack, as_of: dt.date, triggered: dict[str, list[str]], done: frozenset[str] = frozenset()
) -> Plan:
    """Plan the actions in ``triggered`` (action id -> the rule ids that call for it).

    Actions in ``done`` (their outcome is already in place) are listed, not planned.
    """
    m = pack.model
    wanted = _with_dependencies(pack, triggered, done)
    deadlines = {p.id: pack.events[p.deadline].date if p.deadline else None for p in m.phases}
    roles, effort_days = m.roles, m.effort

    due: dict[str, dt.date] = {}
    by_phase: dict[str, list[PlannedAction]] = {p.id: [] for p in m.phases}
    dropped: list[DroppedAction] = []
    in_place: list[InPlaceAction] = []
    for action_id, action in pack.actions.items():  # dependencies come first
        if action_id not in wanted:
            continue
        if action_id in done:
            in_place.append(InPlaceAction(id=action_id, title=action.title))
            continue
        if action.until and as_of >= pack.events[action.until].date:
            event = pack.events[action.until]
            dropped.append(
                DroppedAction(
                    id=action_id,
                    title=action.title,
                    expired_with=event.id,
                    expired_on=event.date,
                    policy=pack.id,
                )
            )
            continue
        days = effort_days[action.effort]
        start = max([as_of, *(due[d] for d in action.depends_on if d in due)])
        if action.not_before:  # e.g. a supply deal that only exists from a given date
            start = max(start, pack.events[action.not_before].date)
        finish = start + dt.timedelta(days=days)
        due[action_id] = finish
        deadline = deadlines[action.phase]
        closed = deadline is not None and as_of >= deadline
        late = (finish - deadline).days if deadline and not closed and finish > deadline else 0
        by_phase[action.phase].append(
            PlannedAction(
                id=action_id,
                strategy=action.strategy,
                title=action.title,
                owner=action.owner,
                owner_title=roles[action.owner],
                effort=action.effort,
                effort_days=days,
                depends_on=[d for d in action.depends_on if d in due],
                start=start,
                due=finish,
                late_by_days=late,
                carried_over=closed,
                kpi=action.kpi,
                triggered_by=sorted(triggered.get(action_id, [])),
                policy=pack.id,
            )
        )
    phases = [
        PlanPhase(
            id=p.id,
            title=p.title,
            deadline=deadlines[p.id],
            days_left=(deadlines[p.id] - as_of).days if deadlines[p.id] else None,
            status="closed" if deadlines[p.id] and as_of >= deadlines[p.id] else "open",
            actions=by_phase[p.id],
            policy=pack.id,
        )
        for p in m.phases
    ]
    final = max((d for d in deadlines.values() if d), default=None)
    mode = "remediation" if final and as_of >= final else "migration"
    return Plan(mode=mode, phases=phases, dropped=dropped, in_place=in_place)


def _with_dependencies(pack: Pack, triggered: dict[str, list[str]], done: frozenset[str]) -> set[str]:
    wanted: set[str] = set()
    stack = list(triggered)
    while stack:
        action_id = stack.pop()
        if action_id not in wanted:
            wanted.add(action_id)
            if action_id not in done:  # what a done action needed is no longer needed for it
                stack.extend(pack.actions[action_id].depends_on)
    return wanted
