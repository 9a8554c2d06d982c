"""Share links: a scenario packed into one URL-safe query value, and unpacked with errors a user can act on.

The value is the scenario file v1 as compact JSON without its default values, zlib-compressed and base64url
encoded. Only scenario fields go in, so nothing else (an API key, a page's settings) can leak into a link.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from advisor.data.scenarios import scenario_from_data
from advisor.errors import ScenarioError
from advisor.schema.scenario import Scenario

QUERY_KEY = "scenario"
MAX_LINK_CHARS = 16_000  # browsers and proxies start refusing URLs around 32K; a scenario needs far less
MAX_JSON_BYTES = 1_000_000  # refuse a crafted link that would inflate without bound
ORIGIN = "share link"
MAX_LINK_WORKLOADS = 20
"""Each workload costs the server a recommendation; a link anyone can open carries a bounded number of them."""


def encode_scenario(scenario: Scenario) -> str:
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data["version"] = scenario.version  # the version is required even though it has one allowed value
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    packed = zlib.compress(text.encode("utf-8"), level=9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_scenario(value: str) -> Scenario:
    """The scenario in a share link's value; ScenarioError says what is wrong with a damaged or edited link."""
    value = value.strip()
    if not value:
        raise ScenarioError(f"{ORIGIN}: the '{QUERY_KEY}' parameter is empty")
    if len(value) > MAX_LINK_CHARS:
        raise ScenarioError(
            f"{ORIGIN}: the '{QUERY_KEY}' parameter is {len(value):,} characters, over {MAX_LINK_CHARS:,}"
        )
    try:
        packed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON_BYTES)
        if inflater.unconsumed_tail:
            raise ScenarioError(f"{ORIGIN}: the scenario inflates past {MAX_JSON_BYTES:,} bytes")
        if not inflater.eof or inflater.unused_data:
            raise zlib.error("cut off or with bytes after the end")
        data = json.loads(raw.decode("utf-8"))
        workloads = data.get("workloads") if isinstance(data, dict) else None
        if isinstance(workloads, list) and len(workloads) > MAX_LINK_WORKLOADS:
            raise ScenarioError(
                f"{ORIGIN}: {len(workloads)} workloads; a link carries at most {MAX_LINK_WORKLOADS} "
                "(save the scenario as a file for more)"
            )
    except (binascii.Error, ValueError, zlib.error, RecursionError) as e:
        if isinstance(e, ScenarioError):
            raise
        raise ScenarioError(
            f"{ORIGIN}: the '{QUERY_KEY}' parameter is not a Rightsize scenario (cut off or changed when copied?)"
        ) from None
    return scenario_from_data(data, origin=ORIGIN)
