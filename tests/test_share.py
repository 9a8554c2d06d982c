"""Share links: every example survives the trip through a URL value, and a damaged value says what is wrong."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from advisor.data.examples import example_scenarios
from advisor.data.share import MAX_JSON_BYTES, MAX_LINK_CHARS, decode_scenario, encode_scenario
from advisor.errors import ScenarioError

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def pack(payload: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(payload)).decode().rstrip("=")


@pytest.mark.parametrize("name", sorted(example_scenarios()))
def test_every_example_round_trips_through_a_short_url_safe_value(name: str) -> None:
    scenario = example_scenarios()[name]
    value = encode_scenario(scenario)
    assert set(value) <= URL_SAFE
    assert len(value) < 1200  # a scenario link fits in a chat message
    assert decode_scenario(value) == scenario


def test_the_value_holds_only_scenario_fields_without_defaults() -> None:
    scenario = example_scenarios()["shoe-store"]
    data = json.loads(zlib.decompress(base64.urlsafe_b64decode(encode_scenario(scenario) + "==")))
    assert set(data) <= {"version", "name", "workloads", "constraints", "hardware", "assumptions"}
    assert data["version"] == 1
    assert "peak_factor" not in data["workloads"][0]  # the default is left out to keep links short


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "share link: the 'scenario' parameter is empty"),
        ("not-a-link", "share link: the 'scenario' parameter is not a Rightsize scenario"),
        (pack(b"{not json"), "share link: the 'scenario' parameter is not a Rightsize scenario"),
        (pack(b'{"version": 1, "name": "x"}'), "share link: workloads: required but missing"),
        (pack(b'{"version": 2}'), "share link: version: must be one of 1, got 2"),
        (pack(b"[1, 2]"), "share link: must be a mapping of keys"),
        ("A" * (MAX_LINK_CHARS + 1), f"over {MAX_LINK_CHARS:,}"),
        (pack(b" " * (MAX_JSON_BYTES + 10)), f"inflates past {MAX_JSON_BYTES:,} bytes"),
    ],
)
def test_a_damaged_value_names_the_problem(value: str, message: str) -> None:
    with pytest.raises(ScenarioError) as error:
        decode_scenario(value)
    assert message in str(error.value)


def test_a_value_cut_short_or_with_extra_characters_is_refused() -> None:
    value = encode_scenario(example_scenarios()["shoe-store"])
    for damaged in (value[:-8], value + "AAAA", value[:10] + "!!" + value[12:]):
        with pytest.raises(ScenarioError, match="not a Rightsize scenario"):
            decode_scenario(damaged)
