"""Bad input of every kind gets one clear line per problem, naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcn_advisor.errors import ProfileError
from mcn_advisor.profile.load import load_profile
from tests.conftest import GOOD, PROFILES


def problems(path: Path) -> list[str]:
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    return info.value.problems


def test_good_profile_loads(write):
    profile = load_profile(write(GOOD))
    assert profile.agency.name == "Test MCN"
    assert profile.platform_mix.kuaishou == 0.5


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_profile_is_valid(path):
    assert load_profile(path).schema_version == 1


def test_toml_syntax_error_names_line_and_column(write):
    path = write(GOOD.replace('name = "Test MCN"', "name = Test MCN"))
    [line] = problems(path)
    assert line.startswith(f"{path}:4:8: TOML syntax error: ")


def test_unclosed_string_at_end_of_file(write):
    path = write('schema_version = 1\nname = "oops')
    [line] = problems(path)
    assert line.startswith(f"{path}:2:")
    assert "TOML syntax error" in line


def test_typo_key_gets_a_suggestion_and_its_line(write):
    path = write(GOOD.replace("commission_rate", "comission_rate"))
    [line] = problems(path)
    assert line == (
        f"{path}:6: agency.comission_rate: unknown field 'comission_rate'; "
        "did you mean 'commission_rate'? (got 0.2)"
    )


def test_key_in_the_wrong_table_is_pointed_home(write):
    path = write(GOOD.replace("commission_rate = 0.20", "taobao_linked_share = 0.4"))
    [line] = problems(path)
    assert "unknown field 'taobao_linked_share'; it belongs in 'clients.taobao_linked_share'" in line


def test_unknown_table_gets_a_suggestion(write):
    path = write(GOOD + "\n[client]\nbrand_clients = 3\n")
    [line] = problems(path)
    assert line.startswith(f"{path}:12: client: unknown field 'client'; did you mean 'clients'?")


def test_share_out_of_range(write):
    path = write(GOOD + "\n[clients]\ntaobao_linked_share = 1.4\n")
    [line] = problems(path)
    assert line == f"{path}:13: clients.taobao_linked_share: must be within 0..1"


def test_mix_that_does_not_sum_to_one_lists_its_values(write):
    path = write(GOOD.replace("kuaishou = 0.5", "kuaishou = 0.6"))
    [line] = problems(path)
    assert line == (
        f"{path}:8: platform_mix: shares sum to 1.1, must sum to 1 (±0.01): douyin_live 0.5, kuaishou 0.6"
    )


def test_mix_within_tolerance_is_accepted(write):
    assert load_profile(write(GOOD.replace("kuaishou = 0.5", "kuaishou = 0.505")))


def test_wrong_types_are_named_with_the_value(write):
    text = GOOD.replace("monthly_gmv_cny = 10_000_000", 'monthly_gmv_cny = "lots"')
    text += "\n[douyin]\noperates_own_store = 1\n"
    path = write(text)
    assert problems(path) == [
        f'{path}:5: agency.monthly_gmv_cny: must be a number (got "lots")',
        f"{path}:13: douyin.operates_own_store: must be true or false (got 1)",
    ]


def test_every_problem_is_reported_at_once(write):
    text = GOOD.replace("commission_rate = 0.20", "commission_rate = 2.0\ncreators = -3")
    path = write(text + "\n[supply_chain]\nwarehouse = true\n")
    lines = problems(path)
    assert len(lines) == 3
    assert [line.split(": ")[1] for line in lines] == [
        "agency.commission_rate",
        "agency.creators",
        "supply_chain.warehouse",
    ]


def test_missing_required_fields(write):
    path = write("schema_version = 1\n[agency]\nname = 'x'\n")
    assert problems(path) == [
        f"{path}: platform_mix: is required",
        f"{path}:2: agency.monthly_gmv_cny: is required",
    ]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_inf_are_refused(write, value):
    path = write(GOOD.replace("monthly_gmv_cny = 10_000_000", f"monthly_gmv_cny = {value}"))
    [line] = problems(path)
    assert "agency.monthly_gmv_cny: must be a finite number (not nan or inf)" in line


def test_missing_schema_version(write):
    path = write(GOOD.replace("schema_version = 1\n", ""))
    [line] = problems(path)
    assert line == f"{path}: schema_version: is required; add 'schema_version = 1' as the first line"


@pytest.mark.parametrize("version", ["2", '"1"', "0"])
def test_unsupported_schema_version(write, version):
    path = write(GOOD.replace("schema_version = 1", f"schema_version = {version}"))
    [line] = problems(path)
    assert line.startswith(f"{path}:1: schema_version: unsupported version {version};")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    assert problems(path) == [f"{path}: no such file"]


def test_folder(tmp_path):
    assert problems(tmp_path) == [f"{tmp_path}: is a folder, not a file"]


def test_empty_file(write):
    path = write("  \n\n")
    assert problems(path) == [f"{path}: file is empty"]


def test_binary_file(write):
    path = write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert problems(path) == [f"{path}: not a text file (it contains binary data)"]


def test_bad_utf8_names_the_line(write):
    path = write(GOOD.encode() + b"\n[clients]\n# caf\xe9\n")
    [line] = problems(path)
    assert line.startswith(f"{path}:13: not valid UTF-8 (byte 0xe9)")


def test_utf8_bom_is_accepted(write):
    assert load_profile(write(b"\xef\xbb\xbf" + GOOD.encode())).agency.name == "Test MCN"


def test_datetime_for_as_of_is_refused(write):
    path = write(GOOD.replace("schema_version = 1", "schema_version = 1\nas_of = 2020-08-27T10:00:00"))
    [line] = problems(path)
    assert line.startswith(f"{path}:2: as_of: ")


def test_list_items_are_checked(write):
    path = write(GOOD + '\n[supply_chain]\npartners = ["suning", 3]\n')
    [line] = problems(path)
    assert line == f"{path}:13: supply_chain.partners.1: must be text in quotes (got 3)"
