"""The MCN profile, schema version 1: what an agency tells us about itself.

Strict on purpose: unknown keys are errors, shares lie within 0..1, mixes sum to 1.
A field a user may not know is optional; when it is left out, the assessment uses
the documented value declared here with ``assumed(...)`` and says so in its
``assumptions``, and rule conditions treat the field as unknown.
"""

import datetime as dt
import unicodedata
from collections.abc import Callable
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from mcn_advisor.errors import say, show_value
from mcn_advisor.files.limits import FIRST_DATE, LAST_DATE, MAX_COUNT, MAX_NUMBER, date_problem
from mcn_advisor.records import record, warming

SCHEMA_VERSION = 1
MIX_TOLERANCE = 0.01
MAX_PARTNERS = 50


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(say("must be within 0..1"))
    return value


def _named(name: str) -> str:
    # Spaces, zero-width characters or control characters alone name nobody.
    if not any(not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf") for c in name):
        raise ValueError(say("must hold a visible character (it is blank)"))
    return name


def _dated(date: dt.date) -> dt.date:
    problem = date_problem(date)
    if problem:
        raise ValueError(problem)
    return date


# The bound is checked by _share (one message: "must be within 0..1") and stated in the
# JSON Schema, so that editors flag 1.4 as the loader does.
Share = Annotated[
    float, AfterValidator(_share), WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})
]
Money = Annotated[float, Field(ge=0, le=MAX_NUMBER)]  # bounded so that every figure stays finite
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
AssessmentDate = Annotated[dt.date, AfterValidator(_dated)]


def assumed(value: Any, importance: float, en: str, zh: str, description: str) -> Any:
    """An optional field: when left out, ``value`` is assumed for the money and score.

    ``importance`` (0..1) is how much leaving it out lowers the confidence rating;
    ``en``/``zh`` say why that value is a fair guess.
    """
    extra = {"assumed": value, "importance": importance, "why_en": en, "why_zh": zh}
    return Field(default=None, description=description, json_schema_extra=extra)


def unassumed(description: str) -> Any:
    """An optional field with no fair guess: figures that need it are left out."""
    return Field(default=None, description=description, json_schema_extra={"importance": 0.0})


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class Agency(_Section):
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_named)] = Field(
        description="The agency's name, as it should appear in reports."
    )
    monthly_gmv_cny: Money = Field(description="GMV its creators drive per month, all platforms, in CNY.")
    creators: Count | None = unassumed("Signed creators / anchors.")
    commission_rate: Share | None = assumed(
        0.20,
        0.10,
        "a typical MCN take (commission plus slot fees) on GMV sold",
        "MCN 常见的综合抽成（佣金加坑位费）",
        "Average take on GMV sold (commission + slot fees), 0..1.",
    )
    divert_contract_share: Share | None = assumed(
        0.10,
        0.03,
        "some creators were bound by contract to send traffic to Taobao or JD",
        "部分达人签有为淘宝或京东导流的合约",
        "Of signed creators, the share whose contracts oblige them to send traffic to Taobao/JD, 0..1.",
    )
    creator_share: Share | None = assumed(
        0.50,
        0.05,
        "a common split of commission and slot fees between an agency and its signed creators; "
        "a studio whose founders are its creators should state its own",
        "机构与签约达人之间常见的佣金与坑位费分成；创始人即达人的工作室应按实际填写",
        "Of commission and slot fees, the share the agency pays on to its creators, 0..1: the rest is "
        "the agency's margin.",
    )


class _Mix(_Section):
    """Shares that must sum to 1 (within ``MIX_TOLERANCE``); keys left out are 0."""

    @model_validator(mode="after")
    def _sums_to_one(self) -> "_Mix":
        values = self.model_dump()
        total = sum(values.values())
        if abs(total - 1.0) > MIX_TOLERANCE:
            listed = ", ".join(f"{k} {v:g}" for k, v in values.items() if v)
            raise ValueError(
                say(
                    "shares sum to {total}, must sum to 1 (±{tolerance}){listed}",
                    total=f"{total:.4g}",
                    tolerance=f"{MIX_TOLERANCE:g}",
                    listed=say(": {listed}", listed=listed) if listed else "",
                )
            )
        return self


class RevenueMix(_Mix):
    """Share of agency revenue by line; sums to 1. Lines left out are 0."""

    live_commerce: Share = 0.0
    advertising: Share = 0.0
    supply_chain: Share = 0.0
    services: Share = 0.0


class PlatformMix(_Mix):
    """Share of GMV by platform and format; sums to 1. Platforms left out are 0."""

    douyin_live: Share = 0.0
    douyin_short_video: Share = 0.0
    kuaishou: Share = 0.0
    taobao_live: Share = 0.0
    other: Share = 0.0


class Douyin(_Section):
    third_party_link_share: Share | None = assumed(
        0.50,
        0.25,
        "in 2020 many MCNs sold much of their Douyin live GMV through Taobao links; "
        "half is a cautious midpoint",
        "2020 年不少 MCN 的抖音直播 GMV 大量经由淘宝外链成交，取一半作为审慎估计",
        "Of Douyin live GMV, the share sold through third-party (Taobao, JD...) links, 0..1.",
    )
    affiliate_share: Share | None = assumed(
        0.0,
        0.03,
        "unless stated, third-party live sales are merchant-ordered tasks, cut on 2020-10-09",
        "未说明时视为外链直播成交均为商家下单的任务，2020-10-09 起切断",
        "Of third-party live GMV, the share sold through links the creators chose themselves, with no "
        "merchant order behind them (Taobao affiliate, 淘宝客), 0..1.",
    )
    star_map_share: Share | None = assumed(
        0.30,
        0.05,
        "a minority of live tasks went through Star Map before it became mandatory",
        "星图下单新规生效前，只有少数直播任务经巨量星图下单",
        "Of live-commerce tasks, the share contracted through Star Map, 0..1.",
    )
    operates_own_store: bool | None = assumed(
        False,
        0.05,
        "assume no own Douyin store unless stated",
        "未说明时视为没有自营抖音小店",
        "Whether the agency runs its own Douyin store.",
    )


class SupplyChain(_Section):
    product_selection_team: bool | None = assumed(
        True,
        0.02,
        "nearly every live-commerce MCN has a product-selection team",
        "几乎所有带货 MCN 都有选品团队",
        "Has a product-selection team.",
    )
    warehousing: bool | None = assumed(
        False, 0.04, "assume none unless stated", "未说明时视为没有", "Has warehousing."
    )
    logistics: bool | None = assumed(
        False, 0.04, "assume none unless stated", "未说明时视为没有", "Has logistics."
    )
    own_brands: bool | None = assumed(
        False, 0.03, "assume none unless stated", "未说明时视为没有", "Owns product brands."
    )
    inventory_capital_cny: Money | None = assumed(
        0.0,
        0.03,
        "assume no capital set aside to hold stock unless stated",
        "未说明时视为没有备货资金",
        "Capital available to hold stock, CNY.",
    )
    partners: (
        Annotated[
            list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]],
            Field(max_length=MAX_PARTNERS),
        ]
        | None
    ) = assumed(
        [],
        0.03,
        "assume no in-platform supply partner unless stated",
        "未说明时视为未接入站内货源",
        "Supply partners, by name (e.g. suning, whose goods sell inside Douyin; jd, whose goods sell "
        "inside Kuaishou). The policy pack's partner table says which platform each one supplies.",
    )


class Clients(_Section):
    brand_clients: Count | None = unassumed("Brand clients served.")
    taobao_linked_share: Share | None = assumed(
        0.40,
        0.15,
        "a mid-size MCN interviewed in August 2020 reported about 40% (source 000)",
        "2020 年 8 月受访的一家中型 MCN 称，约 40% 的品牌客户挂淘宝外链直播（来源 000）",
        "Clients whose Douyin live sales land on Taobao/Tmall, 0..1.",
    )
    jd_linked_share: Share | None = assumed(
        0.0,
        0.03,
        "assume no JD-linked clients unless stated",
        "未说明时视为没有京东外链客户",
        "Clients whose Douyin live sales land on JD, 0..1.",
    )
    douyin_store_share: Share | None = assumed(
        0.20,
        0.05,
        "top brands had Douyin stores, most smaller merchants did not (source 000)",
        "头部品牌多已开设抖音小店，中小商家多数没有（来源 000）",
        "Clients already selling through their own Douyin store, 0..1.",
    )
    premium_brand_share: Share | None = assumed(
        0.10,
        0.03,
        "a minority of clients are mid/high-end brands",
        "中高端品牌通常只占少数客户",
        "Mid/high-end brands that resist Douyin stores, 0..1.",
    )
    willing_to_open_store_share: Share | None = assumed(
        0.50,
        0.05,
        "opening a store was quick and cheap, yet many merchants lacked the motivation (source 000)",
        "开店门槛低、速度快，但不少商家缺乏动力（来源 000）",
        "Of third-party-linked clients, the share willing to open a Douyin store, 0..1.",
    )

    @model_validator(mode="after")
    def _linked_shares_fit(self) -> "Clients":
        linked = (self.taobao_linked_share or 0.0) + (self.jd_linked_share or 0.0)
        if linked > 1.0 + MIX_TOLERANCE:
            raise ValueError(
                say(
                    "taobao_linked_share + jd_linked_share = {linked}, must not exceed 1",
                    linked=f"{linked:g}",
                )
            )
        return self


# --- [kuaishou]: added for the Kuaishou packs, still schema_version 1 ------------------
# Optional and assumed when left out, so every profile written before reads the same;
# only packs that read these fields (kuaishou-2019) list the assumption.


class Kuaishou(_Section):
    """How the agency's Kuaishou GMV is sold: the links Kuaishou's closures cut."""

    taobao_link_share: Share | None = assumed(
        0.30,
        0.25,
        "Kuaishou live sold through its own shop and JD, Youzan and Mockuai links as well as "
        "Taobao ones; about a third through Taobao is a middle guess",
        "快手直播既经由快手小店，也经由京东、有赞、魔筷和淘宝链接成交；取约三分之一经由淘宝作为折中估计",
        "Of Kuaishou GMV, the share sold through Taobao/Tmall links, 0..1.",
    )
    jd_link_share: Share | None = assumed(
        0.10,
        0.05,
        "JD goods reached Kuaishou through JD links and, from 2019, JD self-operated goods "
        "settled in Kuaishou (source 003); a small share unless stated",
        "京东商品经由京东链接进入快手，2019 年起京东自营商品也入驻快手（来源 003）；未说明时视为少量",
        "Of Kuaishou GMV, the share sold through JD links, 0..1.",
    )

    @model_validator(mode="after")
    def _link_shares_fit(self) -> "Kuaishou":
        linked = (self.taobao_link_share or 0.0) + (self.jd_link_share or 0.0)
        if linked > 1.0 + MIX_TOLERANCE:
            raise ValueError(
                say("taobao_link_share + jd_link_share = {linked}, must not exceed 1", linked=f"{linked:g}")
            )
        return self


# --- end of [kuaishou] ----------------------------------------------------------------


class AcceptedRisk(_Section):
    """A risk the agency has decided to carry: its finding is shown, marked accepted, and
    does not count toward ``--fail-on`` until ``until`` has passed."""

    rule: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="The id of a rule of the policy pack, e.g. DY-PLAT-001."
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="Why the risk is accepted; shown with the finding in every report."
    )
    until: dt.date | None = Field(
        default=None, description="Accepted up to and including this date; after it the finding counts again."
    )


class Profile(_Section):
    """An MCN profile, ``schema_version = 1``."""

    schema_version: Literal[1] = Field(description="Profile format version; this is 1.")
    as_of: AssessmentDate | None = Field(
        default=None,
        description=f"Date to assess at, unless --as-of is given (YYYY-MM-DD, {FIRST_DATE} to {LAST_DATE}).",
    )
    agency: Agency
    revenue_mix: RevenueMix | None = assumed(
        {"live_commerce": 0.6, "advertising": 0.2, "supply_chain": 0.1, "services": 0.1},
        0.10,
        "a typical live-commerce MCN earns mostly from commissions, then ads",
        "典型带货 MCN 的收入以带货佣金为主，其次是广告",
        "Share of agency revenue by line; sums to 1.",
    )
    platform_mix: PlatformMix
    douyin: Douyin = Douyin()
    supply_chain: SupplyChain = SupplyChain()
    clients: Clients = Clients()
    kuaishou: Kuaishou = Kuaishou()
    # Optional and outside FIELDS: a list, not a section of readable leaves (rules never test it).
    accepted_risks: list[AcceptedRisk] | None = Field(
        default=None, description="Risks the agency accepts: [[accepted_risks]] with rule, reason, until."
    )


def partner_key(name: str) -> str:
    """A partner name as the packs' partner tables match it: width and case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# --- the flat view the engine reads --------------------------------------------------


@record(frozen=True)
class FieldSpec:
    """One readable leaf of the profile, as rule conditions and formulas name it."""

    path: str
    kind: Literal["number", "bool", "str", "list", "date"]
    description: str
    assumed: Any = None  # the value used when the field is left out (None: no fair guess)
    importance: float = 0.0
    why_en: str = ""
    why_zh: str = ""
    declared_at: str = ""  # the path whose ``assumed`` applies (a section, or the field)


def _kind(annotation: Any) -> str:
    """The condition/formula kind of a field's type, looking through Optional and Annotated."""
    base = annotation
    while get_origin(base) in (Annotated, Union, UnionType):
        base = next(a for a in get_args(base) if a is not type(None))
    if get_origin(base) is list:
        return "list"
    return {bool: "bool", str: "str", dt.date: "date"}.get(base, "number")


def _extra(info: Any) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _build_fields() -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for section, sinfo in Profile.model_fields.items():
        model = _section_model(sinfo.annotation)
        if model is None:
            continue
        sextra = _extra(sinfo)
        for name, info in model.model_fields.items():
            path = f"{section}.{name}"
            extra = _extra(info)
            if "assumed" in extra:
                value, declared, src = extra["assumed"], path, extra
            elif "assumed" in sextra:
                value, declared, src = sextra["assumed"].get(name, 0.0), section, sextra
            else:
                value, declared, src = None, path, extra
            specs[path] = FieldSpec(
                path=path,
                kind=_kind(info.annotation),  # type: ignore[arg-type]
                description=info.description or (model.__doc__ or "").strip(),
                assumed=value,
                importance=float(src.get("importance", 0.0)),
                why_en=src.get("why_en", ""),
                why_zh=src.get("why_zh", ""),
                declared_at=declared,
            )
    return specs


def _section_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


FIELDS: dict[str, FieldSpec] = _build_fields()
# A field's name alone -> its path: a key put in the wrong table, or a CSV column named
# "taobao_linked_share", is pointed at "clients.taobao_linked_share".
HOMES: dict[str, str] = {path.rsplit(".", 1)[1]: path for path in FIELDS}
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (section, tuple(p.split(".", 1)[1] for p in FIELDS if p.startswith(section + ".")))
    for section in dict.fromkeys(p.split(".", 1)[0] for p in FIELDS)
)


_LEAVES: tuple[tuple[str, tuple[tuple[str, str, Any], ...]], ...] = tuple(
    (section, tuple((name, f"{section}.{name}", FIELDS[f"{section}.{name}"].assumed) for name in names))
    for section, names in _SECTIONS
)


def flatten(profile: Profile) -> tuple[dict[str, Any], frozenset[str]]:
    """Every leaf's value (assumed where left out) and the set of leaves left out."""
    values, missing = _read_leaves(profile)
    left_out = frozenset(missing)
    if left_out:
        for one, other in SHARE_LIMITS:  # an assumed share never breaks the limit with a given one
            for assumed, given_share in ((one, other), (other, one)):
                if assumed in left_out and given_share not in left_out:
                    values[assumed] = min(values[assumed], 1.0 - values[given_share])
    return values, left_out


def _leaves_read(profile: Profile) -> tuple[dict[str, Any], list[str]]:
    """Every leaf's value (assumed where left out), in ``_LEAVES`` order, and those left out."""
    values: dict[str, Any] = {}
    missing: list[str] = []
    for section, leaves in _LEAVES:
        obj = getattr(profile, section)
        given = {} if obj is None else obj.__dict__  # a model's fields (read per profile in a batch)
        for name, path, assumed in leaves:
            value = given.get(name)
            if value is None:
                missing.append(path)
                value = assumed
            values[path] = value
    return values, missing


def _written_leaves() -> Callable[[Profile], tuple[dict[str, Any], list[str]]]:
    """``_leaves_read`` as straight-line Python: each leaf read into a local by subscript (a
    model's ``__dict__`` holds every field; one made without some falls back to the loop), the
    values made in one dict display. Written from the model's own section and field names
    (identifiers) and bound assumed values, never from input; a batch flattens every profile,
    and the loop costs about a third more (45k instructions a profile against 34k)."""
    scope: dict[str, Any] = {"_loop": _leaves_read}
    lines = ["def leaves_read(profile):", "    missing = []", "    try:"]
    read: list[tuple[str, str]] = []
    for section, leaves in _LEAVES:
        scope[f"_none_{section}"] = dict.fromkeys(name for name, _, _ in leaves)  # a section left out
        lines += [
            f"        given = profile.{section}",
            f"        given = _none_{section} if given is None else given.__dict__",
        ]
        for name, path, assumed in leaves:
            var = f"v{len(read)}"
            scope[f"a{len(read)}"] = assumed
            lines += [
                f"        {var} = given[{name!r}]",
                f"        if {var} is None:",
                f"            missing.append({path!r})",
                f"            {var} = a{len(read)}",
            ]
            read.append((path, var))
    lines += [
        "    except KeyError:",
        "        return _loop(profile)",
        f"    return {{{', '.join(f'{path!r}: {var}' for path, var in read)}}}, missing",
    ]
    exec("\n".join(lines) + "\n", scope)  # the model's names only: see above
    return scope["leaves_read"]  # type: ignore[no-any-return]


# Profiles flattened in a process before the leaves are read by written code: writing it costs
# ~8M instructions, what ~750 profiles' reads save; a single report (a few flattens) never writes it.
FLATTEN_AFTER = 50
_read_leaves = warming(_leaves_read, _written_leaves, FLATTEN_AFTER)


# Shares a profile keeps at or below 1 together (checked by the validators above).
SHARE_LIMITS: tuple[tuple[str, str], ...] = (
    ("clients.taobao_linked_share", "clients.jd_linked_share"),
    ("kuaishou.taobao_link_share", "kuaishou.jd_link_share"),
)


# --- decision support (what-if, levers): mixes and shares -------------------------------

MIXES: dict[str, tuple[str, ...]] = {
    section: names
    for section, names in _SECTIONS
    if issubclass(_section_model(Profile.model_fields[section].annotation) or object, _Mix)
}


def mix_of(path: str) -> str | None:
    """The mix (``platform_mix``, ``revenue_mix``) a field belongs to, if any."""
    section = path.split(".", 1)[0]
    return section if section in MIXES else None


def _is_share(path: str) -> bool:
    """Whether a leaf is validated as a share (0..1), looking through Optional and Annotated."""
    section, name = path.split(".", 1)
    model = _section_model(Profile.model_fields[section].annotation)
    if model is None:
        return False
    info = model.model_fields[name]
    metadata = list(info.metadata)
    stack = [info.annotation]
    while stack:
        item = stack.pop()
        metadata.extend(getattr(item, "__metadata__", ()))
        stack.extend(get_args(item))
    return any(getattr(m, "func", None) is _share for m in metadata)


SHARES: frozenset[str] = frozenset(p for p in FIELDS if _is_share(p))


def _unit(path: str) -> str:
    """How a client document shows a field's value: a share as a percentage, money as money,
    a count as a whole number; otherwise its kind (bool, list, str, date)."""
    if path in SHARES:
        return "share"
    if path.endswith("_cny"):  # the profile's rule: a money field's name ends in _cny
        return "cny"
    section, name = path.split(".", 1)
    model = _section_model(Profile.model_fields[section].annotation)
    base = model.model_fields[name].annotation if model is not None else None
    while get_origin(base) in (Annotated, Union, UnionType):
        base = next(a for a in get_args(base) if a is not type(None))
    return "count" if base is int else FIELDS[path].kind


UNITS: dict[str, str] = {p: _unit(p) for p in FIELDS}


# --- values written by what-if and levers: checked like a file's ---------------------------

_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "number": (int, float),
    "str": (str,),
    "list": (list,),
    "date": (dt.date,),
}
_KIND_NEEDS = {
    "bool": say("must be true or false"),
    "number": say("must be a number"),
    "str": say("must be text in quotes"),
    "list": say('must be a list of texts, e.g. ["suning"]'),
    "date": say("must be a date (YYYY-MM-DD)"),
}


def value_problem(path: str, value: Any) -> str | None:
    """Why ``value`` cannot be written to profile field ``path``, or None when it fits."""
    kind = FIELDS[path].kind
    fits = isinstance(value, _KIND_TYPES[kind]) and not (kind == "number" and isinstance(value, bool))
    if kind == "list" and fits:
        fits = all(isinstance(v, str) and v for v in value)
    if not fits:
        problem = _KIND_NEEDS[kind]
    elif path in SHARES and not 0 <= value <= 1:
        problem = say("must be within 0..1")
    elif kind == "number" and value < 0:
        problem = say("must not be negative")
    elif kind == "number" and not value <= MAX_NUMBER:  # also nan
        problem = say("must be a finite number of at most {bound}", bound=f"{MAX_NUMBER:g}")
    else:
        return None
    return say("{message} (got {value})", message=problem, value=show_value(value))


# --- the JSON Schema of a TOML file (mcn-advisor schema, for editors) ---------------------


class TomlJsonSchema(GenerateJsonSchema):
    """JSON Schema for a TOML file: TOML cannot write null, so an optional field is one that
    may be left out, never ``null``, and has no ``"default": null``."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if "default" in out and _holds_null(out["default"]):
            del out["default"]  # "left out" is not a value a file could write
        return out


def _holds_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_null(v) for v in value.values())
    return value is None


def json_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a TOML file format, with every bound the loader checks
    that JSON Schema can state (a mix summing to 1 is said in its description)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(schema_generator=TomlJsonSchema),
        "title": title,  # after the model's own title ("PackModel")
    }
