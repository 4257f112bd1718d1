"""The closed sets of words mcn-advisor uses, each defined once: typed for the code and
the CLI (typer reads a ``Literal`` as a list of choices), listed in order for loops.

Pack files, profiles, the JSON contract and every renderer use these words; the
i18n catalogue holds how each is written in each language (``sev_high``, ``band_low``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

Lang = Literal["en", "zh"]
"""A language a report can be written in."""
LANGS: tuple[Lang, ...] = get_args(Lang)

Severity = Literal["info", "low", "medium", "high", "critical"]
"""How serious a finding is, least first; ``--fail-on`` takes one of these."""
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SEVERITY_RANK: dict[str, int] = {name: i for i, name in enumerate(SEVERITIES)}

Band = Literal["low", "moderate", "high", "critical"]
"""The exposure score's band (the pack's ``[scoring]`` gives the bounds), least first."""
BANDS: tuple[Band, ...] = get_args(Band)

RiskLevel = Literal["low", "medium", "high", "critical"]
"""A risk-register rating's level (the pack's ``[risk_matrix]`` gives the bounds), least first."""
RISK_LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)

ConfidenceLevel = Literal["low", "medium", "high"]
"""How much of what the assessment rests on the profile gave, least first."""

FindingKind = Literal["risk", "positive", "opportunity"]
"""A rule's kind: a risk (counts toward ``--fail-on``), good news, or an opening."""

Treatment = Literal["mitigate", "avoid", "transfer", "accept"]
"""What the risk register proposes to do about a risk (ISO 31000's options)."""

Unit = Literal["cny", "share", "count", "index"]
"""The unit of a pack metric: money per month, a share 0..1, a count, an index."""

Category = Literal["gmv", "revenue", "cost", "operations", "clients", "supply", "platform", "contract"]
"""What part of the business a rule is about."""

Strategy = Literal[
    "open_douyin_store",
    "short_video_shift",
    "star_map_routing",
    "supply_partner",
    "supply_chain_build",
    "platform_diversify",
    "client_retention",
    "service_provider",
    "own_store",
    "capital_plan",
    "contract_review",
]
"""The migration strategy an action belongs to."""
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


def at_or_above(severity: str | None, floor: str | None) -> bool:
    """Whether ``severity`` reaches ``floor`` (``--fail-on``); no severity reaches anything,
    and nothing reaches no floor. The one test of ``--fail-on``, for one report or a batch."""
    return severity is not None and floor is not None and SEVERITY_RANK[severity] >= SEVERITY_RANK[floor]


def worst(severities: Iterable[str]) -> Severity | None:
    """The most severe of ``severities``; None when there are none."""
    return max(severities, key=SEVERITY_RANK.__getitem__, default=None)  # type: ignore[return-value]
