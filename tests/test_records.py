"""``record`` behaves as ``dataclass`` with the same options: each test builds the same class
both ways and checks they agree (construction and its errors, defaults, equality, hashing,
frozen guards, repr, pickling, ``dataclasses`` helpers and pydantic's JSON dump)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from pydantic_core import to_json

from mcn_advisor import records
from mcn_advisor.records import record


@pytest.fixture(autouse=True, params=["shared", "compiled"])
def init(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with records built by the shared __init__ and by their compiled one."""
    monkeypatch.setattr(records, "COMPILE_AFTER", 10**9 if request.param == "shared" else 1)
    return request.param


def twins(**options: bool) -> tuple[type, type]:
    """The same class made by ``dataclass`` and by ``record``."""

    def body() -> type:
        class Item:
            name: str
            count: int = 1
            tags: list[str] = field(default_factory=list, hash=False)
            note: str = field(default="", compare=False, repr=False)

        return Item

    return dataclass(**options)(body()), record(**options)(body())


OPTIONS = [{}, {"frozen": True}, {"eq": False}, {"kw_only": True}, {"frozen": True, "kw_only": True}]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_a_record_is_built_and_compared_as_its_dataclass(options: dict[str, bool]) -> None:
    made, ours = twins(**options)
    for cls in (made, ours):
        a = cls(name="x", count=2, tags=["t"], note="n")
        b = cls(name="x", count=2, tags=["t"], note="other")  # note: not compared
        c = cls(name="y")
        by_value = options.get("eq", True)
        assert (a == b, a == c, a != c) == ((True, False, True) if by_value else (False, False, True))
        assert c.count == 1 and c.tags == [] and c.note == ""
        assert cls(name="z").tags is not cls(name="z").tags  # a factory's value is the instance's own
        assert list(map(repr, dataclasses.fields(a))) == list(map(repr, dataclasses.fields(made)))
        assert dataclasses.asdict(a) == {"name": "x", "count": 2, "tags": ["t"], "note": "n"}
        assert dataclasses.replace(a, count=5).count == 5
        assert to_json(a) == b'{"name":"x","count":2,"tags":["t"],"note":"n"}'
        assert copy.deepcopy(a).tags == ["t"]
    assert repr(ours(name="x", count=2)) == repr(made(name="x", count=2))


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_a_record_refuses_what_its_dataclass_refuses(options: dict[str, bool]) -> None:
    made, ours = twins(**options)
    for cls in (made, ours):
        with pytest.raises(TypeError, match="missing 1 required"):
            cls()
        with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
            cls(nmae="x")
        if options.get("kw_only"):
            with pytest.raises(TypeError, match="positional"):
                cls("x")
        else:
            assert cls("x", 3).count == 3
        item = cls(name="x")
        if options.get("frozen"):
            with pytest.raises(dataclasses.FrozenInstanceError):
                item.count = 2
            with pytest.raises(dataclasses.FrozenInstanceError):
                del item.name
            assert hash(item) == hash(cls(name="x", note="other"))  # by the compared fields
        else:
            item.count = 2
            assert item.count == 2
            if options.get("eq", True):
                with pytest.raises(TypeError, match="unhashable"):
                    hash(item)
            else:
                assert hash(item) == object.__hash__(item)  # by identity


def test_a_record_built_often_gets_a_compiled_init(init: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "COMPILE_AFTER", 3)
    _, ours = twins()
    shared = ours.__init__
    built = [ours(name="x"), ours("y", 2)]
    assert ours.__init__ is shared and vars(built[1]) == {"name": "y", "count": 2, "tags": [], "note": ""}
    built.append(ours(name="z"))
    compiled = ours.__init__
    assert compiled is not shared and compiled.__qualname__.endswith("Item.__init__")
    built.append(ours(name="w", tags=["t"]))
    assert ours.__init__ is compiled and [b.name for b in built] == ["x", "y", "z", "w"]
    assert vars(built[2]) == {"name": "z", "count": 1, "tags": [], "note": ""}


def test_a_call_the_shared_init_cannot_take_compiles_at_once(init: str) -> None:
    _, ours = twins(kw_only=True)
    with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
        ours("x")
    assert ours.__init__.__qualname__.endswith("Item.__init__")


def test_a_record_needs_no_docstring_and_keeps_one() -> None:
    @record
    class Plain:
        x: int

    @record
    class Told:
        """What it is."""

        x: int

    assert Plain.__doc__ == "Plain" and Told.__doc__ == "What it is."


@record(frozen=True)
class Frozen:
    name: str
    tags: tuple[str, ...] = ()


@record(kw_only=True)
class Mutable:
    name: str
    seen: list[str] = field(default_factory=list)


def test_records_travel_pickled_as_a_batch_sends_them_to_its_workers() -> None:
    for item in (Frozen("x", ("a",)), Mutable(name="y", seen=["b"])):
        back = pickle.loads(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == item and back is not item and type(back) is type(item)
    assert hash(pickle.loads(pickle.dumps(Frozen("x")))) == hash(Frozen("x"))


def test_a_field_left_out_of_init_is_no_argument_and_takes_its_default() -> None:
    made, ours = (
        deco(
            type(
                "Cached",
                (),
                {
                    "__annotations__": {"name": "str", "seen": "list[str]", "memo": "int | None"},
                    "seen": field(default_factory=list, init=False),
                    "memo": field(default=None, init=False, compare=False),
                },
            )
        )
        for deco in (dataclass, record)
    )
    for cls in (made, ours):
        item = cls("x")
        assert (item.name, item.seen, item.memo) == ("x", [], None) and cls("x").seen is not item.seen
        with pytest.raises(TypeError, match="unexpected keyword argument 'memo'"):
            cls("x", memo=1)
        item.memo = 5
        assert item == cls("x")  # memo is not compared


def test_a_record_refuses_at_once_what_dataclass_refuses_when_it_is_made() -> None:
    class Late:
        x: int = 1
        y: int

    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):
        dataclass(Late)
    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):
        record(Late)

    @record
    class Base:
        x: int

    class Extended(Base):
        y: int

    with pytest.raises(TypeError, match="extends no record"):
        record(Extended)


def test_a_record_keeps_the_methods_it_writes_itself() -> None:
    @record(frozen=True)
    class Shown:
        x: int

        def __repr__(self) -> str:
            return f"<{self.x}>"

    assert repr(Shown(1)) == "<1>" and Shown(1) == Shown(1) and hash(Shown(1)) == hash(Shown(1))


def test_a_frozen_record_hashes_the_fields_its_dataclass_hashes() -> None:
    for deco in (dataclass(frozen=True), record(frozen=True)):

        @deco
        class Keyed:
            a: int
            b: int = field(default=0, compare=False, hash=True)  # hashed though not compared
            c: int = field(default=0, hash=False)  # compared though not hashed

        assert hash(Keyed(1, 2, 3)) == hash((1, 2)), deco


def test_a_record_sets_its_class_as_its_dataclass_does() -> None:
    def body() -> type:
        class Item:
            name: str
            count: int = 1
            tags: list[str] = field(default_factory=list)
            note: str = field(default="", repr=False)
            later: int = field(default=0, kw_only=True)

        return Item

    made, ours = dataclass(body()), record(body())
    for attr in ("name", "count", "tags", "note", "later"):
        assert getattr(made, attr, "absent") == getattr(ours, attr, "absent"), attr
    assert ours.__match_args__ == made.__match_args__ == ("name", "count", "tags", "note")
    assert list(map(repr, dataclasses.fields(ours))) == list(map(repr, dataclasses.fields(made)))
    assert dataclasses.is_dataclass(ours) and not ours.__dataclass_params__.frozen
    assert record(frozen=True)(body()).__dataclass_params__.frozen
    assert ours(name="x", later=2) == ours("x", later=2) and ours("x").later == 0


def test_a_record_refuses_the_fields_its_dataclass_refuses() -> None:
    def listed() -> type:
        class Listed:
            seen: list[str] = []  # noqa: RUF012  # the mistake refused

        return Listed

    def loose() -> type:
        class Loose:
            x: int
            y = field(default=0)

        return Loose

    for deco in (dataclass, record):
        with pytest.raises(ValueError, match="mutable default <class 'list'> for field seen is not allowed"):
            deco(listed())
        with pytest.raises(TypeError, match="'y' is a field but has no type annotation"):
            deco(loose())

    class Counted:
        x: int
        made: ClassVar[int] = 0

    with pytest.raises(TypeError, match="Counted.made: a record has no ClassVar fields"):
        record(Counted)
    # As objects (a module without postponed annotations), and written with a module's name
    refused = {
        "InitVar": dataclasses.InitVar[int],
        "KW_ONLY": dataclasses.KW_ONLY,
        "ClassVar": "t.ClassVar[int]",
    }
    for kind, annotation in refused.items():
        with pytest.raises(TypeError, match=f"a record has no {kind} fields"):
            record(type("Odd", (), {"__annotations__": {"x": annotation}}))
    spec = record(type("Spec", (), {"__annotations__": {"x": "ClassVarSpec"}}))  # a type named so: a field
    assert [f.name for f in dataclasses.fields(spec)] == ["x"]


def test_a_record_takes_a_default_from_a_plain_base_class_as_its_dataclass_does() -> None:
    class Defaults:
        x = 5

    for deco in (dataclass, record):

        class Item(Defaults):
            x: int

        made = deco(Item)
        assert made().x == 5 and dataclasses.fields(made)[0].default == 5, deco
