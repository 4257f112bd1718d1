"""Records: the classes of named fields the program passes around (findings, figures,
compiled rules, ...), made as ``dataclasses.dataclass`` makes them, for far less at import.

``dataclass`` writes Python source for every method it adds to a class and compiles it: an
``__init__``, an ``__eq__`` and ``__repr__``, and for a frozen class a ``__hash__``,
``__setattr__`` and ``__delattr__``; it also builds the class's signature for its
docstring. With ~60 classes imported by every run, that was ~140M instructions, more than
a tenth of a run. ``record(cls)`` gives a class the fields ``dataclass`` would
(``dataclasses.fields``, ``replace``, ``asdict`` and pydantic's dumping work as before) and
adds the methods itself:

- ``__eq__`` and ``__repr__`` field by field (the fields with ``compare`` / ``repr``), one
  pair written here for every record;
- a frozen record refuses assignment and deletion (``FrozenInstanceError``) and hashes
  field by field, as a frozen dataclass; a mutable one with ``eq`` is unhashable;
- ``__init__`` takes the same arguments as a dataclass's (positional or keyword-only,
  defaults, default factories): a shared one builds the first instances, and a class
  built often (``COMPILE_AFTER`` times: in a batch) gets the same compiled ``__init__`` a
  dataclass would have. A call the shared one cannot take goes to the compiled one, so a
  missing or unknown field is Python's own ``TypeError``. A single run compiles none.

The fields are read from the class's annotations here rather than by ``dataclass``, whose
own reading (checks for ``ClassVar`` and ``InitVar`` by pattern and module look-ups, per
field) cost some 300,000 instructions a class, a third of a run's ~100 records: a field
is the ``dataclasses.Field`` that ``dataclasses.field`` makes, named, typed and marked as a
field as ``dataclass`` marks it (``_FIELD``, the one private name used, the same from
Python 3.10 on; tests/test_records.py compares every field with its dataclass twin's).
Records have no ``ClassVar``, ``InitVar`` or ``KW_ONLY`` annotations (refused).

Records have no ``__slots__``: ``slots=True`` makes a class twice at import. The price,
measured: a full assessment with its two reports costs about 4% more (dict-backed
instances, and dicts for the collector to walk). Slots everywhere, tried, win that back
but cost a single run 15.5M instructions (and ``Pack``'s cached properties need a dict).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import reprlib
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, get_origin

T = TypeVar("T")
_NO_DEFAULT = dataclasses.MISSING
_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]  # what marks a field (not a ClassVar) for dataclasses.fields
_PARAMS = dataclasses.dataclass(type("Params", (), {"__doc__": "-"})).__dataclass_params__  # type: ignore[attr-defined]
_REFUSED = ("ClassVar", "InitVar", "KW_ONLY")  # annotations dataclass gives a meaning records do not


def record(
    cls: type[T] | None = None, /, *, frozen: bool = False, eq: bool = True, kw_only: bool = False
) -> Any:
    """``@record`` / ``@record(frozen=True, eq=False, kw_only=True)``: ``dataclass`` with
    the same meaning of these options (and no others)."""

    def make(cls: type[T]) -> type[T]:
        if any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
            raise TypeError(f"{cls.__qualname__}: a record extends no record or dataclass")
        if not cls.__doc__:  # dataclass would build the signature's text for it: costly
            cls.__doc__ = cls.__name__
        own = set(vars(cls))  # methods the class writes itself are kept, as dataclass keeps them
        if "__annotations__" in cls.__dict__:
            fields = _read_fields(cls, kw_only)
        else:  # none, or not yet evaluated (Python 3.14's lazy annotations): dataclass reads them
            cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, kw_only=kw_only)
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        _check_order(cls, fields)
        methods: dict[str, Any] = {"__init__": _shared_init(cls, fields, frozen), "__repr__": _repr}
        if eq:
            methods.update(__eq__=_eq, __hash__=_hash if frozen else None)
        if frozen:
            methods.update(__setattr__=_refuse_set, __delattr__=_refuse_delete)
        for name, method in methods.items():
            if name not in own:
                setattr(cls, name, method)
        cls.__dataclass_params__ = _params(frozen, eq, kw_only)  # type: ignore[attr-defined]
        return cls

    return make if cls is None else make(cls)


@functools.cache  # one for the records of the same options: nothing changes it
def _params(frozen: bool, eq: bool, kw_only: bool) -> Any:
    """The options as ``dataclass`` records them (``__dataclass_params__``)."""
    params = copy.copy(_PARAMS)
    params.frozen, params.eq, params.init, params.repr = frozen, eq, True, True
    if hasattr(params, "kw_only"):  # Python 3.12 on
        params.kw_only = kw_only
    return params


def _read_fields(cls: type, kw_only: bool) -> tuple[dataclasses.Field, ...]:
    """The fields ``dataclass`` would find in the class's own annotations, set on the class as
    it sets them (``__dataclass_fields__``; a default as the class attribute, a factory's
    ``field(...)`` removed; ``__match_args__``), refusing what it refuses."""
    annotations = cls.__dict__.get("__annotations__", {})
    made: dict[str, dataclasses.Field] = {}
    for name, annotation in annotations.items():
        refused = _refused(annotation)
        if refused:
            raise TypeError(f"{cls.__qualname__}.{name}: a record has no {refused} fields")
        given = getattr(cls, name, _NO_DEFAULT)  # as dataclass: a plain base class's attribute too
        f = given if isinstance(given, dataclasses.Field) else dataclasses.field(default=given)
        if f.default is not _NO_DEFAULT and f.default.__class__.__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: use default_factory"
            )
        f.name, f.type, f._field_type = name, annotation, _FIELD  # type: ignore[attr-defined]
        if f.kw_only is _NO_DEFAULT:
            f.kw_only = kw_only
        if given is not f.default:  # a field(...): the class keeps its default, or nothing
            if f.default is _NO_DEFAULT:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        made[name] = f
    for name, value in cls.__dict__.items():
        if isinstance(value, dataclasses.Field) and name not in made:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    cls.__dataclass_fields__ = made  # type: ignore[attr-defined]
    if "__match_args__" not in cls.__dict__:
        cls.__match_args__ = tuple(f.name for f in made.values() if f.init and not f.kw_only)  # type: ignore[attr-defined]
    return tuple(made.values())


def _refused(annotation: Any) -> str | None:
    """``ClassVar``, ``InitVar`` or ``KW_ONLY``, if the annotation is one (written or as an
    object): dataclass gives them a meaning records do not."""
    if isinstance(annotation, str):  # "ClassVar[int]", "typing.ClassVar", "t.ClassVar[int]", ...
        name = annotation.split("[", 1)[0].strip().rsplit(".", 1)[-1]
        return name if name in _REFUSED else None
    if annotation is dataclasses.KW_ONLY:
        return "KW_ONLY"
    if annotation is dataclasses.InitVar or isinstance(annotation, dataclasses.InitVar):
        return "InitVar"
    if annotation is ClassVar or get_origin(annotation) is ClassVar:
        return "ClassVar"
    return None


def _check_order(cls: type, fields: tuple[dataclasses.Field, ...]) -> None:
    """Refuse what dataclass refuses when it writes ``__init__``: a positional field without
    a default after one with a default (the compiled ``__init__`` could not be written)."""
    seen_default = False
    for f in fields:
        if not f.init or f.kw_only:
            continue
        if f.default is not _NO_DEFAULT or f.default_factory is not _NO_DEFAULT:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__qualname__}: non-default argument {f.name!r} follows default argument")


COMPILE_AFTER = 100  # instances of a class built by the shared __init__ before it gets its own


def warming(interpreted: Callable[..., Any], write: Callable[[], Callable[..., Any]], after: int) -> Any:
    """``interpreted`` for its first ``after`` calls, then the function ``write()`` returns (the
    same computation written as Python code), written once, at the call after those: the
    program's one switch from interpreted to written code (a formula, a pack's evaluation and
    its corners' rescores, a profile's flattening), so that a single run never pays for
    writing what only a batch repeats often enough to earn. (A record's ``__init__`` switches
    the same way, but by replacing the class's method: ``_shared_init``.)"""
    fn = interpreted
    calls = 0

    def run(*args: Any) -> Any:
        nonlocal fn, calls
        if calls <= after:
            calls += 1
            if calls > after:
                fn = write()
        return fn(*args)

    return run


def _shared_init(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool) -> Callable[..., None]:
    """The ``__init__`` a record starts with: it takes the same arguments as the one
    dataclass would compile, and builds the instance from a dict. Compiling that one costs
    about as much as building a hundred instances this way, so a class gets its own (see
    ``_compile_init``) at its ``COMPILE_AFTER``-th instance, and at once for a call this one
    cannot take (then the compiled one raises Python's own ``TypeError``)."""
    positional = tuple(f.name for f in fields if f.init and not f.kw_only)
    allowed = frozenset(f.name for f in fields if f.init)  # an init=False field takes its default
    defaults = {f.name: f.default for f in fields if f.default is not _NO_DEFAULT}
    factories = tuple((f.name, f.default_factory) for f in fields if f.default_factory is not _NO_DEFAULT)
    required = allowed - defaults.keys() - {name for name, _ in factories}
    built = 0

    def __init__(self: Any, *args: Any, **values: Any) -> None:
        nonlocal built
        built += 1
        if args and len(args) <= len(positional) and values.keys().isdisjoint(positional[: len(args)]):
            values.update(zip(positional, args, strict=False))  # the first len(args) fields
            args = ()
        if args or built >= COMPILE_AFTER or not required <= values.keys() <= allowed:
            init = _compile_init(cls, fields, frozen)
            cls.__init__ = init  # type: ignore[misc]
            init(self, *args, **values)
            return
        state = {**defaults, **values}
        for name, make in factories:
            if name not in values:
                state[name] = make()
        object.__setattr__(self, "__dict__", state)

    return __init__


def _compile_init(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool) -> Callable[..., None]:
    """The ``__init__`` dataclass would write: parameters in field order (keyword-only ones
    after a ``*``), defaults, factories called for each instance; a frozen record's values are
    stored past its ``__setattr__``."""
    scope: dict[str, Any] = {"_FACTORY": _Factory}
    positional, keyword, body = [], [], []
    made = {f.name for f in fields if f.default_factory is not _NO_DEFAULT}
    for f in fields:
        if f.default is not _NO_DEFAULT:
            scope[f"_d_{f.name}"] = f.default
            param = f"{f.name}=_d_{f.name}"
        elif f.default_factory is not _NO_DEFAULT:
            scope[f"_f_{f.name}"] = f.default_factory
            param = f"{f.name}=_FACTORY"
        else:
            param = f.name
        if not f.init:  # not a parameter: its default, or a fresh value of its factory
            value = f"_f_{f.name}()" if f.name in made else f"_d_{f.name}"
        else:
            (keyword if f.kw_only else positional).append(param)
            value = f"_f_{f.name}() if {f.name} is _FACTORY else {f.name}" if f.name in made else f.name
        body.append(f"    d[{f.name!r}] = {value}" if frozen else f"    self.{f.name} = {value}")
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    head = "    d = self.__dict__\n" if frozen else ""
    source = f"def __init__({params}):\n{head}" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), scope)  # noqa: S102  # our own source
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


class _Factory:
    """Stands for "not given" where a field's default comes from a factory."""


def _values(self: Any, which: str) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in dataclasses.fields(self) if getattr(f, which))


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self, "compare") == _values(other, "compare")


def _hash(self: Any) -> int:
    fields = dataclasses.fields(self)  # as dataclass hashes: hash=None follows compare
    return hash(tuple(getattr(self, f.name) for f in fields if (f.compare if f.hash is None else f.hash)))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = (f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
    return f"{self.__class__.__qualname__}({', '.join(shown)})"


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field '{name}'")


def _refuse_delete(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field '{name}'")
