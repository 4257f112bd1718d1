"""The plan: the actions findings call for, sized to the agency and dated against the policy's steps.

1. **Called for.** Each risk finding calls its actions with its severity; an action is
   *required* when some finding reaches its ``act_from`` severity (medium unless the pack
   says otherwise), else *optional*. Opportunities only ever make actions optional.
2. **Sized.** The agency's tier (the pack's ``[[tiers]]``: the larger of its tier by
   creators and by monthly GMV) maps every owner role onto the roles it has (a studio's
   founder owns everything), sets aside what it cannot carry (``drop``), makes some actions
   optional, scales efforts and limits how many actions one owner runs at once. When the
   closed loop favours the MCN (the pack's ``[favoured]``), its hedges are optional.
   An action whose ``only_if`` fails does not apply; one that waits for an action set
   aside is set aside too; a required action that waits for an optional one is optional.
3. **Dated.** Required actions are scheduled most urgent first (their target phase, the
   most severe finding they serve, directly or through the actions waiting for them), each
   after what it depends on (``depends_on``, and ``needs`` where its condition holds: no
   move to a platform without building a presence there first) and once its owner has a
   free hand: start = max(as_of, dependencies' due dates, not_before, owner free); due =
   start + its effort in calendar days. Optional actions are dated as if started on as_of.
4. **Phases follow the dates.** An action is listed in the phase its due date falls in, so
   every action is due inside its phase and a closed phase holds none. Its target phase
   (the pack's, pulled earlier when a finding requiring it must be answered by an earlier
   step: the rule's ``act_by``) is kept: one that misses it says by how many days, one whose
   target had closed before as_of is carried over.
5. **Windows.** An action pointless after an event (``until``) is dropped once it has
   passed, or when it could only be done on or after it.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import heapq
from collections.abc import Mapping
from typing import Any

from mcn_advisor.core.contract import (
    DroppedAction,
    InPlaceAction,
    Plan,
    PlannedAction,
    PlanPhase,
    PlanTier,
    SetAside,
)
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.schema import Action, Tier
from mcn_advisor.records import record
from mcn_advisor.vocab import SEVERITY_RANK


@record(frozen=True)
class Call:
    """A finding calling for an action: its severity, rating, and the step its actions must be
    done by (the rule's ``act_by``), if that is earlier than the actions' own phase."""

    rule_id: str
    severity: str  # "info" for an opportunity
    rating: int
    act_by: str | None


def tier_of(pack: Pack, values: Mapping[str, Any]) -> Tier | None:
    """The agency's size tier: the larger of its tier by creators and by monthly GMV."""
    tiers = pack.model.tiers
    if not tiers:
        return None
    creators, gmv = values.get("agency.creators"), float(values.get("agency.monthly_gmv_cny") or 0.0)

    def first(limit: str, amount: float | None) -> int:
        if amount is None:
            return 0
        return next(
            (i for i, t in enumerate(tiers) if getattr(t, limit) is None or amount <= getattr(t, limit)),
            len(tiers) - 1,
        )

    return tiers[max(first("max_creators", creators), first("max_monthly_gmv_cny", gmv))]


def owner_in(tier: Tier | None, role: str) -> str:
    """The role that owns ``role``'s actions at this size."""
    if tier is None:
        return role
    return tier.owners.get(role, tier.owners.get("*", role))


def tier_owners(pack: Pack, tier: Tier | None) -> list[str]:
    """Every role that owns some action of the pack at this size, in the pack's order of roles."""
    owners = {owner_in(tier, a.owner) for a in pack.model.actions}
    return [role for role in pack.model.roles if role in owners]


@functools.lru_cache(maxsize=64)
def _owners_of(pack: Pack, tier_id: str) -> tuple[str, ...]:
    """``tier_owners`` of one of the pack's own tiers, found once per pack and size."""
    return tuple(tier_owners(pack, next(t for t in pack.model.tiers if t.id == tier_id)))


def effort_days(pack: Pack, action: Action, tier: Tier | None) -> int:
    """An action's effort in calendar days at this size (half-days round up; never below min_days)."""
    days = pack.model.effort[action.effort] * (tier.effort_scale if tier else 1.0)
    return max(action.min_days, int(days + 0.5))


def build_plan(
    pack: Pack,
    as_of: dt.date,
    calls: dict[str, list[Call]],
    done: frozenset[str] = frozenset(),
    values: Mapping[str, Any] | None = None,
    unknown: frozenset[str] | set[str] = frozenset(),
) -> Plan:
    """Plan the actions in ``calls`` (action id -> the findings that call for it) for the
    profile whose flat ``values`` they were found in. Actions in ``done`` are listed, not planned."""
    values = values or {}
    m = pack.model
    tier = tier_of(pack, values)
    favoured = pack.favoured is not None and pack.favoured(values, unknown, []) is True

    waits: dict[str, list[str]] = {}  # deps, each found once (a dict: no cache to build per plan)

    def deps(action_id: str) -> list[str]:
        """What it waits for: its dependencies, and the conditional ones whose condition holds."""
        got = waits.get(action_id)
        if got is None:
            needs = [
                a for check, a in pack.needs.get(action_id, ()) if check(values, unknown, []) is not False
            ]
            got = waits[action_id] = [*pack.actions[action_id].depends_on, *needs]
        return got

    wanted = _closure(calls, done, deps)
    state = _states(pack, wanted, calls, done, deps, tier, values, unknown, favoured)
    deadlines = _deadlines(pack)
    order = [a for a in pack.actions if a in wanted]  # plan order: phase, then dependencies first
    target = {a: _target(pack, a, calls.get(a, [])) for a in order}
    dropped: list[DroppedAction] = []
    due: dict[str, dt.date] = {}
    planned: dict[str, PlannedAction] = {}
    busy: dict[str, list[dt.date]] = {}  # owner -> when each action it runs ends

    def schedule(action_id: str, required: bool) -> None:
        action = pack.actions[action_id]
        owner = owner_in(tier, action.owner)
        until = pack.events[action.until] if action.until else None
        if until is not None and as_of >= until.date:
            dropped.append(_dropped(action, until, "window_closed", pack.id))
            return
        days = effort_days(pack, action, tier)
        after = [d for d in deps(action_id) if d in due]  # what it waits for, scheduled
        start = max([as_of, *(due[d] for d in after)])
        if action.not_before:  # e.g. a supply deal that only exists from a given date
            start = max(start, pack.events[action.not_before].date)
        slots = busy.setdefault(owner, [])
        if required and tier and tier.parallel and len(slots) >= tier.parallel:
            start = max(start, min(slots))
        finish = start + dt.timedelta(days=days)
        if until is not None and finish >= until.date:
            dropped.append(_dropped(action, until, "cannot_finish", pack.id))
            return
        if required and tier and tier.parallel:
            if len(slots) >= tier.parallel:
                slots.remove(min(slots))
            slots.append(finish)
        due[action_id] = finish
        aim = deadlines[target[action_id]]
        later_after = action.after and as_of >= pack.events[action.after.event or ""].date
        planned[action_id] = PlannedAction(
            id=action_id,
            strategy=action.strategy,
            title=action.after.title if later_after and action.after else action.title,
            owner=owner,
            owner_title=m.roles[owner],
            effort=action.effort,
            effort_days=days,
            depends_on=after,
            start=start,
            due=finish,
            late_by_days=(finish - aim).days if aim and as_of < aim < finish else 0,
            carried_over=aim is not None and as_of >= aim,
            kpi=(action.after.kpi if later_after and action.after and action.after.kpi else action.kpi),
            triggered_by=sorted(c.rule_id for c in calls.get(action_id, [])),
            policy=pack.id,
            target_phase=target[action_id],
        )

    for action_id in _urgent_first(pack, [a for a in order if state[a] == "required"], calls, target, deps):
        schedule(action_id, True)
    for action_id in order:  # dependencies first, so an optional action starts after its own
        if state[action_id] == "optional":
            schedule(action_id, False)
    required = [planned[a] for a in order if state[a] == "required" and a in planned]
    return Plan(
        mode="remediation" if _past_every_deadline(deadlines, as_of) else "migration",
        phases=_phases(pack, as_of, deadlines, required),
        dropped=dropped,
        in_place=[InPlaceAction(id=a, title=pack.actions[a].title) for a in order if state[a] == "in_place"],
        optional=sorted(
            (planned[a] for a in order if state[a] == "optional" and a in planned),
            key=lambda x: (x.due, x.id),
        ),
        set_aside=[
            SetAside(id=a, title=pack.actions[a].title, reason=state[a], because=_because(a, state, deps))  # type: ignore[arg-type]
            for a in order
            if state[a] in ("not_at_this_size", "not_applicable")
        ],
        tier=_tier(pack, tier, values),
        favoured=m.favoured.why if favoured and m.favoured else None,
    )


@functools.lru_cache(maxsize=16)
def _deadlines(pack: Pack) -> dict[str, dt.date | None]:
    """Each phase's deadline (None: open-ended), read once per pack."""
    return {p.id: pack.events[p.deadline].date if p.deadline else None for p in pack.model.phases}


@functools.lru_cache(maxsize=16)
def _ends_at(pack: Pack) -> dict[str, int]:
    """The index of the phase each step (an event id) ends."""
    return {p.deadline: i for i, p in enumerate(pack.model.phases) if p.deadline}


def _closure(calls: dict[str, list[Call]], done: frozenset[str], deps: Any) -> set[str]:
    """The actions called for and everything they wait for (not what a done action needed)."""
    wanted: set[str] = set()
    stack = list(calls)
    while stack:
        action_id = stack.pop()
        if action_id not in wanted:
            wanted.add(action_id)
            if action_id not in done:
                stack.extend(deps(action_id))
    return wanted


def _states(
    pack: Pack,
    wanted: set[str],
    calls: dict[str, list[Call]],
    done: frozenset[str],
    deps: Any,
    tier: Tier | None,
    values: Mapping[str, Any],
    unknown: frozenset[str] | set[str],
    favoured: bool,
) -> dict[str, str]:
    """Each wanted action: in_place, not_applicable, not_at_this_size, required or optional."""
    hedges = set(pack.model.favoured.hedges) if favoured and pack.model.favoured else set()
    may_skip = hedges.union(tier.optional) if tier else hedges  # optional at this size, or hedges
    state: dict[str, str] = {}
    for a in wanted:
        action = pack.actions[a]
        applies = pack.only_if.get(a)
        if a in done:
            state[a] = "in_place"
        elif applies is not None and applies(values, unknown, []) is False:
            state[a] = "not_applicable"
        elif tier is not None and a in tier.drop:
            state[a] = "not_at_this_size"
        elif a not in may_skip and any(
            c.severity != "info" and SEVERITY_RANK[c.severity] >= SEVERITY_RANK[action.act_from]
            for c in calls.get(a, [])
        ):
            state[a] = "required"
        else:
            state[a] = "optional"
    # To a fixed point: waiting for what is set aside, or for what may not be required. A worklist
    # revisits only what a change can affect, so a long chain of actions costs linear time.
    waiting: dict[str, list[str]] = {}
    for a in wanted:
        for d in deps(a):
            waiting.setdefault(d, []).append(a)
    queue = collections.deque(sorted(wanted))
    queued = set(queue)

    def revisit(*ids: str) -> None:
        for x in ids:
            if x not in queued:
                queued.add(x)
                queue.append(x)

    while queue:
        a = queue.popleft()
        queued.discard(a)
        if state[a] in ("in_place", "not_applicable", "not_at_this_size"):
            continue
        for d in deps(a):
            if d not in state or state[d] == "in_place":
                continue
            if state[d] in ("not_applicable", "not_at_this_size"):
                state[a] = state[d]
                revisit(*waiting.get(a, ()))
                break
            if state[a] == "required" and state[d] == "optional":
                if d in may_skip:
                    state[a] = "optional"  # it cannot be required of an agency that may skip d
                    revisit(a, *waiting.get(a, ()))
                else:
                    state[d] = "required"
                    revisit(d, *waiting.get(d, ()))
    return state


def _because(action_id: str, state: dict[str, str], deps: Any) -> str | None:
    """The action set aside that ``action_id`` waits for, if that is why it is set aside."""
    return next((d for d in deps(action_id) if state.get(d) == state[action_id]), None)


def _target(pack: Pack, action_id: str, calls: list[Call]) -> str:
    """The phase an action aims for: its own, or the earlier one that ends at the step a finding
    calling for it (at its ``act_from`` severity or worse) must be answered by (``act_by``:
    creators' own affiliate links stop selling live on 09-06, a month before the cart ban)."""
    phases = pack.model.phases
    index = pack.phase_index[pack.actions[action_id].phase]
    if phases[index].deadline is None:
        return phases[index].id  # work for after the last step is never pulled before it
    ends_at = _ends_at(pack)
    floor = SEVERITY_RANK[pack.actions[action_id].act_from]
    for c in calls:
        if c.act_by in ends_at and c.severity != "info" and SEVERITY_RANK[c.severity] >= floor:
            index = min(index, ends_at[c.act_by])
    return phases[index].id


def served_rules(ids: list[str], deps: Any, direct: Any) -> dict[str, set[str]]:
    """Each action's findings: those that call for it, and those of every action waiting for it
    (sorting clients serves what onboarding them to Douyin stores answers). Each action once
    all that wait for it are done (no recursion: a chain of thousands of actions is fine)."""
    waiting: dict[str, list[str]] = {}
    for a in ids:
        for d in deps(a):
            waiting.setdefault(d, []).append(a)
    left = {a: len(waiting.get(a, ())) for a in ids}  # of those waiting for it, not yet done
    ready = [a for a in ids if not left[a]]
    out: dict[str, set[str]] = {}
    while ready:
        a = ready.pop()
        out[a] = set(direct(a)).union(*(out[b] for b in waiting.get(a, ())))
        for d in deps(a):
            if d in left:
                left[d] -= 1
                if not left[d]:
                    ready.append(d)
    return out


def urgency(rules: set[str], severity: Mapping[str, str], rating: Mapping[str, int]) -> tuple[int, int, int]:
    """How urgent an action serving ``rules`` is, most urgent lowest: the most severe finding, the
    highest rating, then the most findings served."""
    worst = top = 0  # severity ranks and ratings are never below 0
    for r in rules:
        worst = max(worst, SEVERITY_RANK[severity[r]])
        top = max(top, rating.get(r, 0))
    return -worst, -top, -len(rules)


def _urgent_first(
    pack: Pack, required: list[str], calls: dict[str, list[Call]], target: dict[str, str], deps: Any
) -> list[str]:
    """Required actions in scheduling order: target phase, then ``urgency``, then id; each after
    what it waits for."""
    severity = {c.rule_id: c.severity for cs in calls.values() for c in cs}
    rating = {c.rule_id: c.rating for cs in calls.values() for c in cs}
    served = served_rules(required, deps, lambda a: [c.rule_id for c in calls.get(a, [])])
    key = {a: (pack.phase_index[target[a]], *urgency(served[a], severity, rating), a) for a in required}
    # The most urgent action whose dependencies are placed goes next (a heap: linear-logarithmic).
    blocked = dict.fromkeys(required, 0)
    unlocks: dict[str, list[str]] = {}
    for a in required:
        for d in deps(a):
            if d in key:
                blocked[a] += 1
                unlocks.setdefault(d, []).append(a)
    ready = [(key[a], a) for a in required if not blocked[a]]
    heapq.heapify(ready)
    placed: list[str] = []
    while ready:
        _, a = heapq.heappop(ready)
        placed.append(a)
        for b in unlocks.get(a, ()):
            blocked[b] -= 1
            if not blocked[b]:
                heapq.heappush(ready, (key[b], b))
    return placed


def _phases(
    pack: Pack, as_of: dt.date, deadlines: dict[str, dt.date | None], required: list[PlannedAction]
) -> list[PlanPhase]:
    phases = pack.model.phases
    listed: dict[str, list[PlannedAction]] = {p.id: [] for p in phases}
    for act in required:
        home = next((p.id for p in phases if deadlines[p.id] and act.due <= deadlines[p.id]), phases[-1].id)  # type: ignore[operator]
        listed[home].append(act)
    return [
        PlanPhase(
            id=p.id,
            title=p.title,
            deadline=deadlines[p.id],
            days_left=(deadlines[p.id] - as_of).days if deadlines[p.id] else None,  # type: ignore[operator]
            status="closed" if deadlines[p.id] and as_of >= deadlines[p.id] else "open",  # type: ignore[operator]
            actions=sorted(listed[p.id], key=lambda x: (x.due, x.start, x.id)),
            policy=pack.id,
            announced=_known(pack, p.deadline, as_of),
        )
        for p in phases
    ]


def _known(pack: Pack, event: str | None, as_of: dt.date) -> bool:
    announced = pack.events[event].announced if event else None
    return announced is None or announced <= as_of


def _past_every_deadline(deadlines: dict[str, dt.date | None], as_of: dt.date) -> bool:
    final = max((d for d in deadlines.values() if d), default=None)
    return final is not None and as_of >= final


def _dropped(action: Action, event: Any, reason: str, policy: str) -> DroppedAction:
    return DroppedAction(
        id=action.id,
        title=action.title,
        expired_with=event.id,
        expired_on=event.date,
        policy=policy,
        reason=reason,  # type: ignore[arg-type]
    )


def _tier(pack: Pack, tier: Tier | None, values: Mapping[str, Any]) -> PlanTier | None:
    if tier is None:
        return None
    owners = list(_owners_of(pack, tier.id))
    creators = values.get("agency.creators")
    return PlanTier(
        id=tier.id,
        title=tier.title,
        basis=tier.basis,
        max_creators=tier.max_creators,
        max_monthly_gmv_cny=tier.max_monthly_gmv_cny,
        creators=None if creators is None else int(creators),
        monthly_gmv_cny=float(values.get("agency.monthly_gmv_cny") or 0.0),
        owners=owners,
        owner_titles=[pack.model.roles[r] for r in owners],
        effort_scale=tier.effort_scale,
        parallel=tier.parallel,
    )
