"""Comparing two assessments of one MCN: score, money, findings and plan, side by side.

``what-if`` compares the profile as is with the profile changed (same date); ``diff``
compares two saved JSON assessments, e.g. August and September. Both go through a
``Snapshot``: the part of an assessment a comparison reads, loaded from a saved file
(texts in whichever language it was written in) or from an ``Assessment`` in memory.
Texts of rules, actions, factors and figures are taken from the policy pack by id
when it knows them, so a diff reads in the language asked for, whatever the files hold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import to_jsonable_python

from mcn_advisor.core.contract import ASSESSMENT_SCHEMA_VERSION, Acceptance, Assessment
from mcn_advisor.core.money import LABELS
from mcn_advisor.errors import InputError, say, shorten, show_value
from mcn_advisor.files.problems import describe
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.records import record
from mcn_advisor.vocab import SEVERITY_RANK, Band, ConfidenceLevel, FindingKind, Severity, Unit

out = record(kw_only=True)
# Of the what-if, levers and diff JSON outputs; 2: severities derived from size; 3: the money
# ladder (levers ranked on net effect per week, what-if money with the levers, the path compared).
RESULT_SCHEMA_VERSION = 3


# --- what a comparison reads from an assessment -------------------------------------


def _iso_date(value: Any) -> Any:
    """A date as JSON writes it (``"2020-08-27"``); anything else is left to validation."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date)]


class _Part(BaseModel):
    # Strict, as the JSON output contract is: a score is a finite number, not "71.5", true or NaN.
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, allow_inf_nan=False)


Title = Text | str  # every language (in memory) or one (a saved file)


class _Policy(_Part):
    id: str
    version: str


class _Factor(_Part):
    id: str
    label: Title
    contribution: float


class _Exposure(_Part):
    score: float
    band: Band
    factors: list[_Factor]


class _Figure(_Part):
    id: str
    label: Title
    unit: Unit
    value: float | None
    rung: bool = False


class _Month(_Part):
    month: str
    without_plan_cny: float
    with_plan_cny: float


class _Impact(_Part):
    gmv_at_risk_cny_monthly: float
    revenue_at_risk_cny_monthly: float
    figures: list[_Figure]
    path: list[_Month] = []


class _Acceptance(_Part):
    reason: str
    until: Date | None = None
    expired: bool = False


class _Finding(_Part):
    rule_id: str
    kind: FindingKind
    severity: Severity
    title: Title
    accepted: bool = False  # absent from assessments saved before accepted risks existed
    acceptance: _Acceptance | None = None


class _RuleRef(_Part):
    rule_id: str


class _Action(_Part):
    id: str
    title: Title
    due: Date


class _Phase(_Part):
    actions: list[_Action]


class _Dropped(_Part):
    id: str
    title: Title


class _SavedPlan(_Part):
    phases: list[_Phase]
    dropped: list[_Dropped] = []
    in_place: list[_Dropped] = []


class _Confidence(_Part):
    level: ConfidenceLevel


class Snapshot(_Part):
    """The part of an assessment (JSON output contract) that a comparison reads."""

    schema_version: int
    agency: str
    as_of: Date
    policy: _Policy
    exposure: _Exposure
    impact: _Impact
    findings: list[_Finding]
    undetermined: list[_RuleRef] = []
    opportunities: list[_Finding] = []
    plan: _SavedPlan
    confidence: _Confidence


def snapshot(a: Assessment) -> Snapshot:
    """The comparable part of an assessment held in memory (texts in every language), read
    from its JSON form as a saved one is: no TypeAdapter to build, which would cost a
    what-if run more than its two assessments."""
    return Snapshot.model_validate(to_jsonable_python(a))


def saved_snapshot(data: Any, path: Path | str) -> Snapshot:
    """The comparable part of a JSON assessment saved by ``assess --format json`` (``data``,
    as ``files.saved.read_json`` read it from ``path``); ``InputError`` names the file."""
    if not isinstance(data, dict):
        raise InputError(say("{path}: not an assessment (expected a JSON object)", path=path))
    if "kind" in data:
        raise InputError(
            say(
                "{path}: is a {kind} result, not an assessment; save one with: mcn-advisor assess PROFILE "
                "-f json -o FILE",
                path=path,
                kind=shorten(str(data["kind"]), 40),
            )
        )
    version = data.get("schema_version")
    if type(version) is int and 0 < version < ASSESSMENT_SCHEMA_VERSION:
        raise InputError(
            say(
                "{path}: schema_version: {version}; saved by an older mcn-advisor, whose figures and plans "
                "meant something else (see the README's output contract); re-run assess on the profile, "
                "with --as-of {date}, to compare",
                path=path,
                version=version,
                date=data.get("as_of", "ITS DATE"),
            )
        )
    if version != ASSESSMENT_SCHEMA_VERSION:
        shown = "missing" if version is None else show_value(version)
        raise InputError(
            say(
                "{path}: schema_version: {shown}; this mcn-advisor compares assessments of schema_version "
                "{version} (re-run assess with this version to compare)",
                path=path,
                shown=shown,
                version=ASSESSMENT_SCHEMA_VERSION,
            )
        )
    try:
        return Snapshot.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe(exc, Snapshot, path, {})) from None


# --- the comparison (the output contract of what-if and diff) --------------------------


@out
class Side:
    as_of: dt.date
    score: float
    band: Band
    confidence: str


@out
class FigureChange:
    id: str
    label: Text
    unit: str
    before: float | None
    after: float | None
    change: float | None  # None when either side is unknown


@out
class FactorChange:
    id: str
    label: Text
    before: float  # points of the score
    after: float
    change: float


@out
class FindingChange:
    rule_id: str
    kind: str
    severity: str
    title: Text
    status: Literal["resolved", "new", "open"]
    severity_before: str | None  # an open risk's severity on the earlier side (severities follow size)
    was_undetermined: bool  # new only because a field left out before now has a value
    accepted_before: bool
    accepted_after: bool
    acceptance: Acceptance | None  # the latest side's acceptance of the rule, if any


@out
class ActionChange:
    id: str
    title: Text
    # done: left the plan, and the profile now shows it in place; gone: left the plan as
    # nothing calls for it any more; expired: its window closed; overdue: still planned
    # although the earlier plan had it due before the later date; kept: still planned,
    # not yet due; added: new in the plan
    status: Literal["done", "gone", "expired", "overdue", "kept", "added"]
    due_before: dt.date | None
    due_after: dt.date | None
    overdue_days: int


@out
class MonthChange:
    """A month of the path on both sides: the margin lost with each side's plan (negative: gained)."""

    month: str
    before: float | None  # None: that side's path does not reach the month
    after: float | None
    change: float | None


@out
class Comparison:
    before: Side
    after: Side
    score_change: float
    band_changed: bool
    figures: list[FigureChange]  # every money and client figure, both sides (the ladder's rungs too)
    factors: list[FactorChange]  # the factors whose points changed
    findings: list[FindingChange]  # risk and positive findings, most severe first
    opportunities: list[FindingChange]
    actions: list[ActionChange]  # in the later plan's order, then those that left it
    path: list[MonthChange] = dataclasses.field(default_factory=list)  # the later side's months


@out
class Diff:
    """``diff OLD NEW``: two saved assessments of one MCN, the older first."""

    schema_version: int = RESULT_SCHEMA_VERSION
    kind: Literal["diff"] = "diff"
    agency: str
    policy_id: str
    policy_versions: list[str]  # [older, newer]: a different pack version can explain changes
    days: int  # from the older assessment's date to the newer one's
    comparison: Comparison


def diff(old: Snapshot, new: Snapshot, pack: Pack, names: tuple[str, str] = ("OLD", "NEW")) -> Diff:
    """Compare two assessments of the same MCN under the same policy; refuse anything else."""
    if old.agency != new.agency:
        raise InputError(
            say(
                "cannot compare assessments of different MCNs: {old} is '{old_agency}', {new} is "
                "'{new_agency}'",
                old=names[0],
                old_agency=old.agency,
                new=names[1],
                new_agency=new.agency,
            )
        )
    if old.policy.id != new.policy.id:
        raise InputError(
            say(
                "cannot compare assessments made with different policy packs: {old} used '{old_pack}', "
                "{new} used '{new_pack}'",
                old=names[0],
                old_pack=old.policy.id,
                new=names[1],
                new_pack=new.policy.id,
            )
        )
    if new.as_of < old.as_of:
        raise InputError(
            say(
                "{new} (as of {new_date}) is older than {old} (as of {old_date}); give the older "
                "assessment first",
                new=names[1],
                new_date=new.as_of,
                old=names[0],
                old_date=old.as_of,
            )
        )
    return Diff(
        agency=new.agency,
        policy_id=new.policy.id,
        policy_versions=[old.policy.version, new.policy.version],
        days=(new.as_of - old.as_of).days,
        comparison=compare(old, new, pack),
    )


def compare(old: Snapshot, new: Snapshot, pack: Pack) -> Comparison:
    """What changed from ``old`` to ``new``: score, figures, factors, findings and plan."""
    known = _texts(pack) if new.policy.id == pack.id else {}
    before_figures = {f.id: f.value for f in old.impact.figures}
    figures = []
    for f in new.impact.figures:
        before = before_figures.get(f.id)
        change = None if before is None or f.value is None else round(f.value - before, 4)
        figures.append(
            FigureChange(
                id=f.id,
                label=_text(f.label, f"figure:{f.id}", known),
                unit=f.unit,
                before=before,
                after=f.value,
                change=change,
            )
        )
    before_points = {f.id: f.contribution for f in old.exposure.factors}
    factors = [
        FactorChange(
            id=f.id,
            label=_text(f.label, f"factor:{f.id}", known),
            before=before_points.get(f.id, 0.0),
            after=f.contribution,
            change=round(f.contribution - before_points.get(f.id, 0.0), 2),
        )
        for f in new.exposure.factors
        if round(f.contribution - before_points.get(f.id, 0.0), 2) != 0
    ]
    undetermined = {u.rule_id for u in old.undetermined}
    earlier = {m.month: m.with_plan_cny for m in old.impact.path}
    path = [
        MonthChange(
            month=m.month,
            before=earlier.get(m.month),
            after=m.with_plan_cny,
            change=None if m.month not in earlier else round(m.with_plan_cny - earlier[m.month], 4),
        )
        for m in new.impact.path
    ]
    return Comparison(
        before=_side(old),
        after=_side(new),
        score_change=round(new.exposure.score - old.exposure.score, 1),
        band_changed=new.exposure.band != old.exposure.band,
        figures=figures,
        factors=factors,
        findings=_findings(old.findings, new.findings, undetermined, known),
        opportunities=_findings(old.opportunities, new.opportunities, undetermined, known),
        actions=_actions(old, new, known),
        path=path,
    )


def _side(s: Snapshot) -> Side:
    return Side(as_of=s.as_of, score=s.exposure.score, band=s.exposure.band, confidence=s.confidence.level)


@functools.lru_cache(maxsize=4)
def _texts(pack: Pack) -> dict[str, Text]:
    """Every text a comparison shows, by kind and id, in every language."""
    m = pack.model
    return {
        **{f"rule:{r.id}": r.title for r in m.rules},
        **{f"action:{a.id}": a.title for a in m.actions},
        **{f"factor:{f.id}": f.label for f in m.factors},
        **{f"figure:{x.id}": x.label for x in m.metrics},
        **{f"figure:{k}": v for k, v in LABELS.items()},
        **{f"figure:{u.id}_cny_monthly": u.title for u in (m.money.upside if m.money else [])},
    }


def _text(title: Title, key: str, known: dict[str, Text]) -> Text:
    if isinstance(title, Text):
        return title
    # A saved file holds one language; the pack has them all. Unknown ids keep the saved text.
    return known.get(key) or Text.model_construct(en=title, zh=title)


def _findings(
    old: list[_Finding], new: list[_Finding], undetermined: set[str], known: dict[str, Text]
) -> list[FindingChange]:
    before = {f.rule_id: f for f in old}
    after = {f.rule_id: f for f in new}
    changes = []
    for rule_id in dict.fromkeys([*after, *before]):
        f = after.get(rule_id) or before[rule_id]
        status = (
            "open" if rule_id in before and rule_id in after else "new" if rule_id in after else "resolved"
        )
        changes.append(
            FindingChange(
                rule_id=rule_id,
                kind=f.kind,
                severity=f.severity,
                title=_text(f.title, f"rule:{rule_id}", known),
                status=status,
                severity_before=before[rule_id].severity if rule_id in before else None,
                was_undetermined=status == "new" and rule_id in undetermined,
                accepted_before=rule_id in before and before[rule_id].accepted,
                accepted_after=rule_id in after and after[rule_id].accepted,
                acceptance=Acceptance(**f.acceptance.model_dump()) if f.acceptance else None,
            )
        )
    changes.sort(key=lambda c: (-SEVERITY_RANK[c.severity], c.rule_id))
    return changes


def _actions(old: Snapshot, new: Snapshot, known: dict[str, Text]) -> list[ActionChange]:
    before = {a.id: a for p in old.plan.phases for a in p.actions}
    after = {a.id: a for p in new.plan.phases for a in p.actions}
    expired = {d.id for d in new.plan.dropped}
    done = {d.id for d in new.plan.in_place}
    changes = []
    for action_id, a in after.items():
        b = before.get(action_id)
        overdue = b is not None and b.due < new.as_of
        changes.append(
            ActionChange(
                id=action_id,
                title=_text(a.title, f"action:{action_id}", known),
                status="added" if b is None else "overdue" if overdue else "kept",
                due_before=b.due if b else None,
                due_after=a.due,
                overdue_days=(new.as_of - b.due).days if b and overdue else 0,
            )
        )
    for action_id, b in before.items():
        if action_id not in after:
            changes.append(
                ActionChange(
                    id=action_id,
                    title=_text(b.title, f"action:{action_id}", known),
                    status="done" if action_id in done else "expired" if action_id in expired else "gone",
                    due_before=b.due,
                    due_after=None,
                    overdue_days=0,
                )
            )
    return changes
