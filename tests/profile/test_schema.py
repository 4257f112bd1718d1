"""The JSON Schemas editors check files with agree with the loader.

`mcn-advisor schema` (profiles) and `schema --pack` carry every bound the loader enforces
that JSON Schema can state; a file the schema accepts but the loader refuses is one of the
documented gaps (a mix that does not sum to 1, linked shares over 1 together), never an
unstated one. TOML cannot write null, so the schemas never allow it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema
import pytest

from mcn_advisor.errors import InputError
from mcn_advisor.files.toml import tomllib
from mcn_advisor.pack.compile import pack_from_text
from mcn_advisor.pack.models import pack_model
from mcn_advisor.profile.load import profile_from_data
from mcn_advisor.profile.model import Profile, json_schema
from tests.conftest import GOOD, PROFILES, ROOT

PROFILE_SCHEMA = json_schema(Profile, "profile")
PACK_SCHEMA = json_schema(pack_model(), "pack")


def as_json(value: Any) -> Any:
    """TOML data as an editor hands it to a JSON Schema validator: dates as ISO strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def schema_accepts(schema: dict[str, Any], data: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(as_json(data))


def loader_accepts(data: dict[str, Any]) -> bool:
    try:
        profile_from_data(data, "test")
    except InputError:
        return False
    return True


def test_the_schemas_are_valid_json_schema_and_allow_no_null():
    for schema in (PROFILE_SCHEMA, PACK_SCHEMA):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "null" not in json.dumps(schema)


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_profile_passes_the_schema(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert schema_accepts(PROFILE_SCHEMA, data)
    assert loader_accepts(data)


BROKEN = {
    "share over 1": ("[clients]\ntaobao_linked_share = 1.4", True),
    "negative rate": ("[agency]\ncommission_rate = -3", True),
    "negative money": ("[supply_chain]\ninventory_capital_cny = -1", True),
    "negative count": ("[clients]\nbrand_clients = -2", True),
    "fractional count": ("[agency]\ncreators = 1.5", True),
    "text for a number": ('[douyin]\nthird_party_link_share = "half"', True),
    "number for a flag": ("[douyin]\noperates_own_store = 1", True),
    "unknown key": ("[douyin]\nthird_party_share = 0.3", True),
    "unknown table": ("[tiktok]\nshare = 0.3", True),
    "list of numbers": ("[supply_chain]\npartners = [1, 2]", True),
    "empty partner": ('[supply_chain]\npartners = [""]', True),
    "acceptance without reason": ('[[accepted_risks]]\nrule = "DY-PLAT-001"', True),
    "mix over 1": ("[revenue_mix]\nlive_commerce = 0.9\nadvertising = 0.9", False),
    "linked shares over 1": ("[clients]\ntaobao_linked_share = 0.8\njd_linked_share = 0.5", False),
}


def _profile(extra: str) -> dict[str, Any]:
    """A valid profile (GOOD) with the broken part's tables merged in."""
    data = tomllib.loads(GOOD)
    for key, value in tomllib.loads(extra).items():
        if isinstance(value, dict):
            data.setdefault(key, {}).update(value)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_schema_refuses_what_the_loader_refuses(case):
    extra, schema_can_tell = BROKEN[case]
    data = _profile(extra)
    assert not loader_accepts(data)
    # A schema cannot sum a mix or two shares: those are the documented gaps, no others.
    assert schema_accepts(PROFILE_SCHEMA, data) is not schema_can_tell


def test_the_built_in_packs_pass_the_pack_schema_and_a_broken_one_does_not():
    for path in sorted((ROOT / "mcn_advisor" / "pack" / "builtin").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert schema_accepts(PACK_SCHEMA, data), path.name
    text = (ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml").read_text(encoding="utf-8")
    broken = text.replace("weight = 30", "weight = 0", 1)
    assert broken != text
    assert not schema_accepts(PACK_SCHEMA, tomllib.loads(broken))
    with pytest.raises(InputError):
        pack_from_text(broken, "broken.toml")
