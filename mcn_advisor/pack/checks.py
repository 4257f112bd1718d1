"""What a validated pack model alone cannot check: references between its parts (rules to
actions, events, sources, factors), dates in order, dependency cycles, weights summing
to 100, fixtures naming real rules. Each problem is ``(location, message)``, turned into
``file:line: field: message`` by the loader.

``loose_ends`` lists what a valid pack probably did not mean: actions nothing ever
plans, sources nothing cites, rules no fixture shows firing. ``policy validate`` prints
them as warnings.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mcn_advisor.errors import did_you_mean, say
from mcn_advisor.files.limits import MAX_PLAN_DAYS
from mcn_advisor.files.problems import format_problems
from mcn_advisor.files.toml import Loc
from mcn_advisor.pack.names import condition_fields
from mcn_advisor.pack.schema import REQUIRED_METRICS, WEIGHT_TOTAL, Event, PackModel, Steps
from mcn_advisor.profile.model import FIELDS, partner_key

if TYPE_CHECKING:
    from mcn_advisor.pack.compile import Pack


def duplicates(items: list[Any], name: str) -> Iterator[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            yield (
                (name, i, "id"),
                say(
                    "duplicate id '{id}' (first at {name}[{first}])",
                    id=item.id,
                    name=name,
                    first=seen[item.id],
                ),
            )
        seen.setdefault(item.id, i)


# What a reference names, as an error says it.
_WHAT = {
    "source": say("source"),
    "event": say("event"),
    "action": say("action"),
    "field": say("field"),
    "factor": say("factor"),
    "metric": say("metric"),
    "scale": say("scale"),
    "phase": say("phase"),
    "role": say("role"),
    "effort size": say("effort size"),
    "money part": say("money part"),
    "window-only upside item": say("window-only upside item"),
}


def ref(loc: Loc, value: str | None, known: Any, what: str) -> Iterator[tuple[Loc, str]]:
    if value is not None and value not in known:
        yield (
            loc,
            say(
                "unknown {what} '{value}'{hint}",
                what=_WHAT[what],
                value=value,
                hint=did_you_mean(value, known),
            ),
        )


def cross_check(m: PackModel) -> Iterator[tuple[Loc, str]]:
    for name in ("events", "metrics", "factors", "phases", "rules", "actions", "partners", "tiers"):
        yield from duplicates(getattr(m, name), name)
    events = {e.id: e for e in m.events}
    actions = {a.id: a for a in m.actions}
    factors = {f.id for f in m.factors}
    phases = [p.id for p in m.phases]
    metric_names = condition_fields([x.id for x in m.metrics], [p.id for p in m.partners], m.rates)

    if not m.scoring.low < m.scoring.moderate < m.scoring.high:
        yield ("scoring",), say("bands must rise: low < moderate < high")
    if not m.risk_matrix.low < m.risk_matrix.medium < m.risk_matrix.high:
        yield ("risk_matrix",), say("bands must rise: low < medium < high")
    for sid, scale in m.scales.items():
        if any(b <= a for a, b in zip(scale.at, scale.at[1:], strict=False)) or scale.at[0] <= 0:
            yield ("scales", sid, "at"), say("the bounds of impact 2..5 must be above 0 and rise strictly")
    total = sum(f.weight for f in m.factors)
    if abs(total - WEIGHT_TOTAL) > 1e-6:
        yield (
            ("factors",),
            say(
                "weights sum to {total}, must sum to {required}",
                total=f"{total:g}",
                required=f"{WEIGHT_TOTAL:g}",
            ),
        )
    for required in REQUIRED_METRICS:
        if required not in {x.id for x in m.metrics}:
            yield (
                ("metrics",),
                say("the pack must define metric '{required}' (every report shows it)", required=required),
            )

    for i in range(1, len(m.events)):
        if m.events[i].date < m.events[i - 1].date:
            yield (
                ("events", i, "date"),
                (
                    say(
                        "events must be listed in date order: {date} is listed after '{id}' ({before})",
                        date=m.events[i].date,
                        id=m.events[i - 1].id,
                        before=m.events[i - 1].date,
                    )
                ),
            )
    for i, e in enumerate(m.events):
        for j, s in enumerate(e.sources):
            yield from ref(("events", i, "sources", j), s, m.sources, "source")

    last_deadline: dt.date | None = None
    for i, p in enumerate(m.phases):
        yield from ref(("phases", i, "deadline"), p.deadline, events, "event")
        if p.deadline in events:
            date = events[p.deadline].date
            if last_deadline and date <= last_deadline:
                yield ("phases", i, "deadline"), say("phase deadlines must come in date order")
            last_deadline = date
        elif p.deadline is None and i != len(m.phases) - 1:
            yield ("phases", i, "deadline"), say("only the last phase may have no deadline")

    for i, r in enumerate(m.rules):
        loc: Loc = ("rules", i)
        yield from ref((*loc, "event"), r.event, events, "event")
        yield from ref((*loc, "until"), r.until, events, "event")
        yield from ref((*loc, "act_by"), r.act_by, events, "event")
        for j, a in enumerate(r.actions):
            yield from ref((*loc, "actions", j), a, actions, "action")
        for j, s in enumerate(r.sources):
            yield from ref((*loc, "sources", j), s, m.sources, "source")
        for j, ev in enumerate(r.evidence):
            yield from ref((*loc, "evidence", j), ev, metric_names, "field")
        if isinstance(r.impact, str):
            yield from ref((*loc, "impact"), r.impact, factors, "factor")
        if r.kind != "risk" and r.severity not in (None, "info"):
            yield (*loc, "severity"), say("a {kind} finding must have severity 'info'", kind=r.kind)
        yield from _check_sizing(m, r, loc)
        if r.after is not None:
            yield from ref((*loc, "after", "event"), r.after.event, events, "event")
            if r.after.event is None and r.event is None:
                yield (*loc, "after"), say("give after.event: the rule has no event of its own")
            if r.after.kpi is not None:
                yield (*loc, "after", "kpi"), say("a rule has no KPI; after.kpi is for actions")

    for i, a in enumerate(m.actions):
        loc = ("actions", i)
        yield from ref((*loc, "phase"), a.phase, phases, "phase")
        yield from ref((*loc, "owner"), a.owner, m.roles, "role")
        yield from ref((*loc, "effort"), a.effort, m.effort, "effort size")
        yield from ref((*loc, "until"), a.until, events, "event")
        for j, s in enumerate(a.sources):
            yield from ref((*loc, "sources", j), s, m.sources, "source")
        for j, need in enumerate(a.needs):
            yield from ref((*loc, "needs", j, "action"), need.action, actions, "action")
        if a.after is not None:
            yield from ref((*loc, "after", "event"), a.after.event, events, "event")
            if a.after.event is None:
                yield (*loc, "after", "event"), say("an action's after text needs the event it follows")
            if a.after.rationale is not None:
                yield (
                    (*loc, "after", "rationale"),
                    say("an action has no rationale; after.rationale is for rules"),
                )
        for j, dep in enumerate(a.depends_on):
            yield from ref((*loc, "depends_on", j), dep, actions, "action")
            if (
                dep in actions
                and a.phase in phases
                and actions[dep].phase in phases
                and phases.index(actions[dep].phase) > phases.index(a.phase)
            ):
                yield (
                    (*loc, "depends_on", j),
                    (
                        say(
                            "'{dep}' is in a later phase ('{phase}') than '{id}' ('{own}')",
                            dep=dep,
                            phase=actions[dep].phase,
                            id=a.id,
                            own=a.phase,
                        )
                    ),
                )
    first_of = {a.id: a for a in reversed(m.actions)}  # a duplicate id is reported above, not as a cycle
    graph = {
        i: [d for d in (*a.depends_on, *(n.action for n in a.needs)) if d in actions]
        for i, a in first_of.items()
    }
    cycle = _find_cycle(graph)
    if cycle:
        first = next(i for i, a in enumerate(m.actions) if a.id == cycle[0])
        chain = (
            " -> ".join(cycle)
            if len(cycle) <= 12
            else say(
                "{head} -> ... ({count} more) ... -> {tail}",
                head=" -> ".join(cycle[:6]),
                count=len(cycle) - 11,
                tail=" -> ".join(cycle[-5:]),
            )
        )
        yield ("actions", first, "depends_on"), say("dependency cycle: {chain}", chain=chain)
    else:
        yield from _longest_chain(m)
    yield from _check_dates(m, events)
    yield from _check_fixtures(m, events)
    yield from _check_partners(m, events)
    yield from _check_tiers(m, actions)
    if m.favoured is not None:
        for j, hedge in enumerate(m.favoured.hedges):
            yield from ref(("favoured", "hedges", j), hedge, actions, "action")


def _check_sizing(m: PackModel, r: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """A risk rule's measure and likelihood: a share metric on a scale of the pack; steps that rise."""
    metrics = {x.id: x for x in m.metrics}
    if r.measure is not None:
        if r.kind != "risk":
            yield (*loc, "measure"), say("a {kind} finding is not sized: remove its measure", kind=r.kind)
        yield from ref((*loc, "measure", "metric"), r.measure.metric, metrics, "metric")
        yield from ref((*loc, "measure", "scale"), r.measure.scale, m.scales, "scale")
        metric = metrics.get(r.measure.metric)
        if metric is not None and metric.unit != "share":
            yield (
                (*loc, "measure", "metric"),
                say(
                    "metric '{id}' is a {unit}; a measure must be a share (0..1)",
                    id=metric.id,
                    unit=metric.unit,
                ),
            )
    steps = r.likelihood
    if isinstance(steps, Steps):
        names = condition_fields([x.id for x in m.metrics], [p.id for p in m.partners], m.rates)
        if names.get(steps.field) != "number":
            yield (
                (*loc, "likelihood", "field"),
                say(
                    "'{field}' is not a number field{hint}",
                    field=steps.field,
                    hint=did_you_mean(steps.field, names),
                ),
            )
        if len(steps.levels) != len(steps.at) + 1:
            yield (*loc, "likelihood", "levels"), say("give one level more than bounds in 'at'")
        if any(b <= a for a, b in zip(steps.at, steps.at[1:], strict=False)):
            yield (*loc, "likelihood", "at"), say("the bounds must rise strictly")


def _check_partners(m: PackModel, events: dict[str, Event]) -> Iterator[tuple[Loc, str]]:
    seen: dict[str, str] = {}
    for i, p in enumerate(m.partners):
        loc: Loc = ("partners", i)
        yield from ref((*loc, "since"), p.since, events, "event")
        for j, s in enumerate(p.sources):
            yield from ref((*loc, "sources", j), s, m.sources, "source")
        for j, name in enumerate((p.id, *p.names)):
            key = partner_key(name)
            if seen.get(key, p.id) != p.id:
                yield (
                    (*loc, "names", max(0, j - 1)),
                    say("'{name}' already names partner '{partner}'", name=name, partner=seen[key]),
                )
            seen.setdefault(key, p.id)


def _check_tiers(m: PackModel, actions: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Tiers rise by both limits, the last has none; owners are roles; lists name actions."""
    for i, tier in enumerate(m.tiers):
        loc: Loc = ("tiers", i)
        last = i == len(m.tiers) - 1
        limits = (tier.max_creators, tier.max_monthly_gmv_cny)
        if last and limits != (None, None):
            yield (
                loc,
                say(
                    "the last tier is every agency above the others: "
                    "give it no max_creators or max_monthly_gmv_cny"
                ),
            )
        if not last and None in limits:
            yield loc, say("give max_creators and max_monthly_gmv_cny (only the last tier is open)")
        if i and not last and None not in limits:
            before = m.tiers[i - 1]
            for key in ("max_creators", "max_monthly_gmv_cny"):
                if (getattr(before, key) or 0) >= (getattr(tier, key) or 0):
                    yield (
                        (*loc, key),
                        say(
                            "limits must rise from tier '{before}' to '{tier}'",
                            before=before.id,
                            tier=tier.id,
                        ),
                    )
        for role, owner in tier.owners.items():
            if role != "*":
                yield from ref((*loc, "owners", role), role, m.roles, "role")
            yield from ref((*loc, "owners", role), owner, m.roles, "role")
        for key in ("drop", "optional"):
            for j, action in enumerate(getattr(tier, key)):
                yield from ref((*loc, key, j), action, actions, "action")
        for j, action in enumerate(tier.optional):
            if action in tier.drop:
                yield (*loc, "optional", j), say("'{action}' is also in drop", action=action)


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle in ``graph`` (node -> what it depends on), or None.

    Depth-first with an explicit stack: a chain of 10,000 actions is walked without
    recursion, each node and edge once.
    """
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in sorted(graph):
        if root in state:
            continue
        state[root] = 1
        path = [root]
        edges = [iter(graph.get(root, []))]
        while edges:
            nxt = next(edges[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                edges.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                edges.append(iter(graph.get(nxt, [])))
    return None


def plan_order(m: PackModel) -> list[str]:
    """Actions by phase, each after everything it depends on, ties broken by id.

    Kahn's algorithm over a heap: linear in the actions and their dependencies (times
    a log), however long a chain or wide a plan. Assumes no cycle (checked first);
    dependencies on unknown actions are ignored (reported by ``cross_check``).
    """
    phase_of = {p.id: i for i, p in enumerate(m.phases)}
    first = {a.id: a for a in reversed(m.actions)}  # a duplicate id is reported, not planned twice
    key = {i: (phase_of.get(a.phase, len(phase_of)), i) for i, a in first.items()}
    waiting = {i: len(set(d for d in a.depends_on if d in first)) for i, a in first.items()}
    unlocks: dict[str, list[str]] = {}
    for i, a in first.items():
        for dep in set(d for d in a.depends_on if d in first):
            unlocks.setdefault(dep, []).append(i)
    ready = [key[i] for i, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, action = heapq.heappop(ready)
        order.append(action)
        for later in unlocks.get(action, []):
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, key[later])
    return order


def _longest_chain(m: PackModel) -> Iterator[tuple[Loc, str]]:
    """A plan must end before the dates run out: the longest chain of dependent actions,
    in days of effort, is bounded (``MAX_PLAN_DAYS``)."""
    days: dict[str, int] = {}
    actions = {a.id: a for a in reversed(m.actions)}
    for action_id in plan_order(m):  # what an action depends on comes before it
        a = actions[action_id]
        before = max((days[d] for d in a.depends_on if d in days), default=0)
        days[action_id] = before + m.effort.get(a.effort, 0)
    longest = max(days, key=days.__getitem__, default=None)
    if longest is not None and days[longest] > MAX_PLAN_DAYS:
        at = next(i for i, a in enumerate(m.actions) if a.id == longest)
        yield (
            ("actions", at, "depends_on"),
            say(
                "the chain of actions ending with '{longest}' takes {days} days of effort; "
                "a plan may take at most {limit}",
                longest=longest,
                days=f"{days[longest]:,}",
                limit=f"{MAX_PLAN_DAYS:,}",
            ),
        )


def _check_dates(m: PackModel, events: dict[str, Event]) -> Iterator[tuple[Loc, str]]:
    """Dates that contradict each other: a rule ending before its own step, an action
    that may not start before its phase's deadline or that expires before it may start."""
    on = {e.id: e.date for e in m.events}
    for i, r in enumerate(m.rules):
        if r.event in on and r.until in on and on[r.until] <= on[r.event]:
            yield (
                ("rules", i, "until"),
                say(
                    "'{until}' ({until_date}) must come after the rule's event '{event}' ({event_date})",
                    until=r.until,
                    until_date=on[r.until],
                    event=r.event,
                    event_date=on[r.event],
                ),
            )
    deadlines = {p.id: p.deadline for p in m.phases}
    for i, a in enumerate(m.actions):
        yield from ref(("actions", i, "not_before"), a.not_before, events, "event")
        if a.not_before not in on:
            continue
        start, deadline = on[a.not_before], deadlines.get(a.phase)
        if deadline in on and start >= on[deadline]:
            yield (
                ("actions", i, "not_before"),
                say(
                    "'{not_before}' ({start}) is not before the deadline of phase '{phase}' ({deadline}); "
                    "move the action to a later phase",
                    not_before=a.not_before,
                    start=start,
                    phase=a.phase,
                    deadline=on[deadline],
                ),
            )
        if a.until in on and on[a.until] <= start:
            yield (
                ("actions", i, "until"),
                say(
                    "'{until}' ({until_date}) must come after not_before '{not_before}' ({start})",
                    until=a.until,
                    until_date=on[a.until],
                    not_before=a.not_before,
                    start=start,
                ),
            )


def _check_fixtures(m: PackModel, events: dict[str, Event]) -> Iterator[tuple[Loc, str]]:
    yield from duplicates(m.fixtures, "fixtures")
    rules = {r.id: r for r in m.rules}
    for i, f in enumerate(m.fixtures):
        loc: Loc = ("fixtures", i)
        if f.profile.as_of is not None:
            yield (
                (*loc, "profile", "as_of"),
                say("a fixture's date is its own as_of (next to id), not the profile's"),
            )
        e = f.expect
        for rule_id in e.severity:
            if rule_id not in rules or rules[rule_id].kind != "risk":
                yield (
                    (*loc, "expect", "severity"),
                    say(
                        "'{rule_id}' is not a risk rule{hint}",
                        rule_id=rule_id,
                        hint=did_you_mean(rule_id, rules),
                    ),
                )
        if e.band is None and not (e.fire or e.silent or e.undecided or e.severity):
            yield (
                (*loc, "expect"),
                say("expects nothing; give a band, or rules to fire, stay silent or undecided"),
            )
        seen: dict[str, str] = {}
        for key in ("fire", "silent", "undecided"):
            for j, rule_id in enumerate(getattr(e, key)):
                where: Loc = (*loc, "expect", key, j)
                if rule_id not in rules:
                    yield (
                        where,
                        say(
                            "unknown rule '{rule_id}'{hint}",
                            rule_id=rule_id,
                            hint=did_you_mean(rule_id, rules),
                        ),
                    )
                    continue
                if rule_id in seen:
                    yield (
                        where,
                        say(
                            "'{rule_id}' is already expected to {verb}",
                            rule_id=rule_id,
                            verb=VERB[seen[rule_id]],
                        ),
                    )
                    continue
                seen[rule_id] = key
                until = rules[rule_id].until
                if key != "silent" and until in events and f.as_of >= events[until].date:
                    yield (
                        where,
                        say(
                            "'{rule_id}' no longer applies on {as_of} (it ends with '{until}', {date}); "
                            "expect it silent or move the fixture's as_of",
                            rule_id=rule_id,
                            as_of=f.as_of,
                            until=until,
                            date=events[until].date,
                        ),
                    )


# What a fixture expects of a rule, as its report says it.
VERB = {"fire": say("fire"), "silent": say("stay silent"), "undecided": say("stay undecided")}


def loose_ends(pack: Pack) -> list[str]:
    """Warnings about a valid pack: unplanned actions, uncited sources, untested rules."""
    m = pack.model
    out: list[tuple[Loc, str]] = []
    called = {a for r in m.rules for a in r.actions}
    needed = {d for a in m.actions for d in (*a.depends_on, *(n.action for n in a.needs))}
    for i, r in enumerate(m.rules):
        if r.kind == "risk" and r.severity is not None:
            out.append(
                (
                    ("rules", i, "severity"),
                    say(
                        "'{id}': a risk's severity is derived from likelihood x impact; "
                        "'{severity}' is ignored: remove it",
                        id=r.id,
                        severity=r.severity,
                    ),
                )
            )
    for i, a in enumerate(m.actions):
        if a.id not in called | needed:
            out.append((("actions", i, "id"), say("'{id}' is never planned: no rule calls for it", id=a.id)))
    cited = {
        s
        for part in (m.events, m.rules, m.actions, m.levers, m.partners)
        for item in part
        for s in item.sources
    }
    cited.update(s for rate in m.rates.values() for s in rate.sources)
    cited.update(m.money.season_sources if m.money else ())
    for sid in m.sources:
        if sid not in cited:
            out.append((("sources", sid), say("source '{sid}' is never cited", sid=sid)))
    if m.lever_ranking.revenue_points is not None:
        out.append(
            (
                ("lever_ranking", "revenue_points"),
                say(
                    "ignored: levers rank on the money they win per week of effort "
                    "(the money ladder); remove it"
                ),
            )
        )
    unranged = sorted(
        {FIELDS[f].declared_at for f in pack.fields_read if FIELDS[f].assumed is not None} - set(m.ranges)
    )
    if unranged:
        out.append(
            (
                ("ranges",),
                say(
                    "no [ranges] entry for {fields}: a profile that leaves one out gets its "
                    "assumed value as a point, not a range",
                    fields=", ".join(unranged),
                ),
            )
        )
    if m.fixtures:
        fire = {rule_id for f in m.fixtures for rule_id in (*f.expect.fire, *f.expect.severity)}
        for i, r in enumerate(m.rules):
            if r.id not in fire:
                out.append(
                    (("rules", i, "id"), say("'{id}' fires in no fixture; add one that expects it", id=r.id))
                )
    else:
        out.append(
            (
                ("pack",),
                say("no fixtures: add [[fixtures]] so that `mcn-advisor policy test` can check the rules"),
            )
        )
    return format_problems(pack.source, pack.lines, out)  # sorted by line
