"""The pydantic models that validate a pack's text, made from the pack's records.

A pack's parts are records (``schema.py``, ``conditions.py``): cheap to make at import, and
all a run needs of a pack that comes from the cache. Validating a pack's text needs pydantic
models; they are made here, on the first validation in a process, one per record: the same
name, docstring, fields (their annotations, defaults and constraints), validators and methods,
on a base that carries the pack's strictness. What they validate is turned back into records
(``validate``), so a pack is the same objects whether it was validated or read from the cache.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from mcn_advisor.pack import conditions, schema
from mcn_advisor.profile.model import SCHEMA_VERSION, Profile


class _Data(BaseModel):
    """The base of a pack part's model: unknown keys refused, values taken as they are typed."""

    # defer_build: a model's validator is built when it first validates (a pack, a fixture)
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False, defer_build=True)


class _Node(BaseModel):
    """The base of a condition node's model (a test's value may be any number: it checks its own)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class FixtureProfile(Profile):
    """A fixture's profile: a profile whose ``schema_version`` may be left out."""

    model_config = ConfigDict(defer_build=True)
    schema_version: Literal[1] = SCHEMA_VERSION


_BASES = ((conditions, _Node), (schema, _Data))


def _pack_records() -> list[tuple[type, type[BaseModel]]]:
    """The records of a pack's parts, in the order their modules make them, with their models' base."""
    return [
        (item, base)
        for module, base in _BASES
        for item in vars(module).values()
        if isinstance(item, type) and item.__module__ == module.__name__ and dataclasses.is_dataclass(item)
    ]


@functools.cache
def models() -> Mapping[str, type[BaseModel]]:
    """Every pack record's model, by the record's name (``"PackModel"``, ``"Rule"``, ``"Test"``...)."""
    records = _pack_records()
    # What annotations may name: the records' modules' own names, where a record's name is its
    # model's (added as each is made: a name not made yet is resolved when a model is built).
    record_names = {record.__name__ for record, _ in records}
    names: dict[str, Any] = {"FixtureProfile": FixtureProfile}
    for module, _ in _BASES:
        for name, value in vars(module).items():
            if name in record_names or name.startswith("__"):
                continue
            if names.setdefault(name, value) is not value:  # one namespace: a name means one thing
                raise TypeError(f"pack models: {name!r} names two things in {module.__name__} and before")
    # The models keep this very dict (their parent namespace): filled in as each is made, it
    # holds every model by the time a model is built (on its first validation).
    found: dict[str, type[BaseModel]] = {}
    for record, base in records:
        found[record.__name__] = names[record.__name__] = _model(record, base, names, found)
    for model in found.values():  # a model naming one made after it (condition nodes name each other)
        if not model.__pydantic_fields_complete__:
            model.model_rebuild()
    return found


def _model(record: type, base: type[BaseModel], names: dict[str, Any], made: Mapping[str, Any]) -> Any:
    fields = dataclasses.fields(record)
    body: dict[str, Any] = {
        # This module's, so that a name is never looked up among the records' modules' own
        # (where it is the record's) but in ``names`` alone
        "__module__": __name__,
        "__qualname__": record.__qualname__,
        "__annotations__": {f.name: f.type for f in fields},
        "__pydantic_parent_namespace__": names,
    }
    if record.__doc__ != record.__name__:  # records.record names a class without a docstring
        body["__doc__"] = record.__doc__
    for f in fields:
        # A factory's value (an empty list or table) is the default pydantic copies for each
        # instance; a default that is a part is that part's model, validated (25 -> 25.0)
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(default):
            default = made[type(default).__name__](**dataclasses.asdict(default))
        if default is not dataclasses.MISSING:
            body[f.name] = default
    taken = {f.name for f in fields}
    for name, value in vars(record).items():  # validators and methods
        if not name.startswith("__") and name not in taken:
            body[name] = value
    # As pydantic.create_model makes a model, with the namespace given rather than the caller's
    return type(base)(record.__name__, (base,), body, __pydantic_reset_parent_namespace__=False)


def pack_model() -> type[BaseModel]:
    """The model of a whole pack (``mcn-advisor schema --pack``, error messages)."""
    return models()["PackModel"]


def validate(data: Any, context: dict[str, Any] | None = None) -> schema.PackModel:
    """A pack's parsed text validated (pydantic's ``ValidationError`` if it is not a pack),
    as records."""
    return _records(pack_model().model_validate(data, context=context))  # type: ignore[no-any-return]


def validate_condition(tree: Any, context: dict[str, Any] | None = None) -> Any:
    """A condition tree alone, validated as a pack's are (``ValidationError`` if it is not
    one), as records."""
    return _records(_condition().validate_python(tree, context=context))


@functools.cache
def _condition() -> TypeAdapter[Any]:
    when = models()["Rule"].model_fields["when"]  # a condition, as a rule's is validated
    return TypeAdapter(Annotated[(when.annotation, *when.metadata)])


@functools.cache
def _record_of() -> dict[type, type]:
    """Each model's record."""
    return {models()[record.__name__]: record for record, _ in _pack_records()}


def _records(value: Any) -> Any:
    """A validated model's values as the records they stand for (lists and tables walked);
    a fixture's profile becomes the ``Profile`` it is; texts and other values stay."""
    if isinstance(value, BaseModel):
        if type(value) is FixtureProfile:
            return Profile.model_construct(value.model_fields_set, **dict(value))
        made = _record_of().get(type(value))
        if made is None:
            return value
        return made(**{name: _records(getattr(value, name)) for name in type(value).model_fields})
    if isinstance(value, list):
        return [_records(item) for item in value]
    if isinstance(value, dict):
        return {key: _records(item) for key, item in value.items()}
    return value
