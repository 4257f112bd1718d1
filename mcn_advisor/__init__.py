"""mcn-advisor: exposure assessment and migration plans for MCNs facing a platform's closed loop.

The command line is a thin shell over this library, which is useful on its own::

    import datetime as dt
    from mcn_advisor import assess_all, load_packs, load_profile, render_as, rule_book

    packs = load_packs(["douyin-2020"])
    profile = load_profile("profiles/small_pure_promotion.toml", rule_book(packs))
    report = assess_all(profile, packs, dt.date(2020, 8, 27))
    print(report.exposure.score, report.exposure.band)
    print(render_as("assessment", "markdown")(report, "zh"))
    page = render_as("assessment", "html")(report, "en")  # print_pdf(page, report.as_of): PDF bytes

Names are imported on first use, so ``import mcn_advisor`` costs nothing.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing's own, without importing typing: a run's first milliseconds are Ctrl-C's

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    # reading inputs
    "load_profile": "mcn_advisor.profile.load",
    "profile_from_data": "mcn_advisor.profile.load",
    "Profile": "mcn_advisor.profile.model",
    "load_pack": "mcn_advisor.pack.compile",
    "builtin_pack": "mcn_advisor.pack.compile",
    "Pack": "mcn_advisor.pack.compile",
    "load_packs": "mcn_advisor.pack.select",
    "rule_book": "mcn_advisor.pack.select",
    "read_json": "mcn_advisor.files.saved",
    # the pure core
    "assess": "mcn_advisor.core.engine",
    "evaluate": "mcn_advisor.core.engine",
    "explain": "mcn_advisor.core.engine",
    "Evaluation": "mcn_advisor.core.engine",
    "assess_all": "mcn_advisor.core.combine",
    "Assessment": "mcn_advisor.core.contract",
    "what_if": "mcn_advisor.core.whatif",
    "parse_assignment": "mcn_advisor.core.whatif",
    "rank_levers": "mcn_advisor.core.levers",
    "diff": "mcn_advisor.core.compare",
    "saved_snapshot": "mcn_advisor.core.compare",
    # output
    "render_as": "mcn_advisor.render",
    "print_pdf": "mcn_advisor.files.pdf",
    # errors
    "InputError": "mcn_advisor.errors",
    "ProfileError": "mcn_advisor.errors",
    "PackError": "mcn_advisor.errors",
}
_RENAMED = {"render_as": "get"}

__all__ = [
    "__version__",
    "load_profile",
    "profile_from_data",
    "Profile",
    "load_pack",
    "builtin_pack",
    "Pack",
    "load_packs",
    "rule_book",
    "read_json",
    "assess",
    "evaluate",
    "explain",
    "Evaluation",
    "assess_all",
    "Assessment",
    "what_if",
    "parse_assignment",
    "rank_levers",
    "diff",
    "saved_snapshot",
    "render_as",
    "print_pdf",
    "InputError",
    "ProfileError",
    "PackError",
]  # the keys of _EXPORTS (a test keeps them equal)

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports on demand
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.core.compare import diff, saved_snapshot
    from mcn_advisor.core.contract import Assessment
    from mcn_advisor.core.engine import Evaluation, assess, evaluate, explain
    from mcn_advisor.core.levers import rank_levers
    from mcn_advisor.core.whatif import parse_assignment, what_if
    from mcn_advisor.errors import InputError, PackError, ProfileError
    from mcn_advisor.files.pdf import print_pdf
    from mcn_advisor.files.saved import read_json
    from mcn_advisor.pack.compile import Pack, builtin_pack, load_pack
    from mcn_advisor.pack.select import load_packs, rule_book
    from mcn_advisor.profile.load import load_profile, profile_from_data
    from mcn_advisor.profile.model import Profile
    from mcn_advisor.render import get as render_as


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mcn_advisor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
