"""Any result of the core as JSON: the versioned output contracts, byte-identical for identical input.

An assessment, a what-if, a levers ranking or a diff: indented UTF-8 JSON, texts in the
language asked for, keys always English.
"""

from __future__ import annotations

import collections
from typing import Any

from pydantic_core import SchemaSerializer, to_json

SCHEMA_AFTER = 20  # dumps of one kind of result, in one process, before its serializer is built


def render(result: Any, lang: str = "en") -> str:
    """Indented UTF-8 JSON; texts in ``lang``, keys always English (``encoded``, as text)."""
    return encoded(result, lang).decode("utf-8")


def encoded(result: Any, lang: str = "en") -> bytes:
    """The file ``render`` writes, as its UTF-8 bytes: what a batch writes, never decoded to a
    ``str`` to be encoded again (for a report that names its agency in Chinese, that pair
    costs about a third of the dump).

    Results are dataclasses of plain values, so the values' own types give their JSON
    (a float field holds a float): no TypeAdapter to build, which costs a single run more
    than the whole dump. NaN and infinities are written ``null``, as a TypeAdapter would.
    A process that dumps many results of a kind (a batch) builds a serializer for it
    (``_serializer``) past the first ``SCHEMA_AFTER``, which writes the same bytes for
    about a third less work (its ~30 million instructions to build pay back in ~20 reports).
    """
    context = {"lang": lang}
    serializer = _serializers.get((type(result), lang))
    if serializer is None:
        _dumped[type(result)] += 1
        if _dumped[type(result)] <= SCHEMA_AFTER:
            return to_json(result, indent=2, context=context, inf_nan_mode="null") + b"\n"
        serializer = _serializers[type(result), lang] = _serializer(type(result), lang)
    # Without warnings: a value its field's type does not describe is written by its own type,
    # as ``to_json`` writes every value.
    return serializer.to_json(result, indent=2, context=context, warnings=False) + b"\n"


_dumped: collections.Counter[type] = collections.Counter()
_serializers: dict[tuple[type, str], SchemaSerializer] = {}


def _serializer(kind: type, lang: str) -> SchemaSerializer:
    """A serializer of ``kind`` that writes exactly what ``to_json`` writes, with less work.

    ``to_json`` finds each value's type as it goes, and writes each ``Text`` (some 200 in
    a report) by calling its serializer in Python. This one knows the records' fields from
    their annotations: a ``Text`` is its attribute in ``lang`` (``operator.attrgetter``,
    called without a Python frame), a field marked ``Field(exclude=True)`` is left out (as
    ``Input``'s own serializer leaves it out), lists, dicts and optional values hold what
    their annotation says; every other value (numbers, strings, dates, anything a record
    holds under ``Any``) is still written by its own type, so the bytes cannot differ.
    Built from the annotations alone: about a third of the time a TypeAdapter of an assessment takes.
    """
    import dataclasses
    import operator
    import types
    import typing

    from pydantic.fields import FieldInfo
    from pydantic_core import core_schema as cs

    from mcn_advisor.i18n.text import Text

    anything = cs.any_schema()
    # Strings and booleans typed: the serializer writes them without finding their type (no
    # numbers: a float schema writes the int 1 as 1.0, an int one writes True as 1).
    text_value, truth = cs.str_schema(), cs.bool_schema()
    records: dict[type, cs.CoreSchema | None] = {}

    def schema(tp: Any) -> cs.CoreSchema:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if tp is Text:
            return cs.definition_reference_schema("text")
        if origin is typing.Annotated:
            return schema(args[0])
        if tp is str or (origin is typing.Literal and all(type(a) is str for a in args)):
            return text_value  # written as it is, not looked up by type (a value not a str: by its type)
        if tp is bool:
            return truth
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            if len(options) == 1:
                one = schema(options[0])
            elif all(dataclasses.is_dataclass(a) for a in options):  # each knows its own class
                one = cs.union_schema([schema(a) for a in options])
            else:  # a text or a plain value among others: each value by its own type
                one = anything
            return cs.nullable_schema(one) if type(None) in args else one
        if origin is list:
            return cs.list_schema(schema(args[0]))
        if origin is dict:
            return cs.dict_schema(anything, schema(args[1]))
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if tp not in records:
                records[tp] = None  # being built: a record that holds itself refers to it
                records[tp] = record(tp)
            return cs.definition_reference_schema(_ref(tp))
        return anything

    def record(cls: type) -> cs.CoreSchema:
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception:  # an annotation that cannot be read here: its values' own types
            return cs.any_schema(ref=_ref(cls))
        fields = []
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            marks = hint.__metadata__ if typing.get_origin(hint) is typing.Annotated else ()
            left_out = any(isinstance(m, FieldInfo) and m.exclude for m in marks)
            fields.append(cs.dataclass_field(f.name, schema(hint), serialization_exclude=left_out or None))
        args = cs.dataclass_args_schema(cls.__name__, fields)
        return cs.dataclass_schema(cls, args, [f.name for f in dataclasses.fields(cls)], ref=_ref(cls))

    top = schema(kind)
    text = cs.any_schema(
        ref="text",
        serialization=cs.plain_serializer_function_ser_schema(operator.attrgetter(lang)),
    )
    definitions = [text, *(s for s in records.values() if s is not None)]
    return SchemaSerializer(cs.definitions_schema(top, definitions), {"ser_json_inf_nan": "null"})


def _ref(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
