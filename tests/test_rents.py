"""GPU rents per provider class (hyperscaler, neocloud, marketplace): the catalog's figures, their bands, what
`assumptions.rent_class` does to the cost of a rented replica, and where people see it (CLI, Catalog page,
questionnaire, report)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
import yaml

from advisor.cli import main
from advisor.data.catalog import default_catalog, load_catalog
from advisor.data.examples import example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.engine.cost import devices_monthly_cost
from advisor.errors import ScenarioError
from advisor.present.catalog_view import catalog_rows, rent_band_text, rent_rows
from advisor.present.questionnaire import draft_from_scenario, scenario_data, skey
from advisor.present.report import Names, input_rows
from advisor.schema.catalog import RENT_CLASSES, HardwareProfile
from advisor.schema.scenario import Assumptions, Scenario
from tests.apptest import open_app, rerun
from tests.conftest import REPO

RENTED_CARDS = ("t4", "l4", "a10g", "l40s", "a100-40gb", "a100-80gb", "a100-80gb-pcie", "h100", "h200")
HOURS = 24 * 30  # the default assumptions: up all day, 30 days a month


def yaml_rents(card: str, provider_class: str) -> list[float]:
    """The card's rents of one class, read straight from the catalog file (not through the schema)."""
    data = yaml.safe_load((REPO / "catalog" / "hardware" / "nvidia.yaml").read_text(encoding="utf-8"))
    entry = next(h for h in data["hardware"] if h["id"] == card)
    return [r["usd_per_hour"] for r in entry.get("rents", []) if r["provider_class"] == provider_class]


def profile(card: str) -> HardwareProfile:
    return load_catalog().hardware_profile(card)


# ---- the catalog's figures ------------------------------------------------------------------------------------------


def test_every_rent_has_a_class_a_price_a_date_and_a_source() -> None:
    count = 0
    for hardware in load_catalog().hardware.values():
        for rent in hardware.rents:
            count += 1
            assert rent.provider_class in RENT_CLASSES, (hardware.id, rent)
            assert rent.usd_per_hour > 0, (hardware.id, rent)
            assert rent.as_of, (hardware.id, rent)
            assert rent.source.startswith(("http://", "https://")), (hardware.id, rent)
            assert rent.provider and rent.offer, (hardware.id, rent)
        if hardware.rents:
            # A card with rents is rentable by default too, with a sourced named offer.
            assert hardware.cloud_usd_per_hour is not None and "cloud" in hardware.sources, hardware.id
    assert count >= 50


@pytest.mark.parametrize("card", RENTED_CARDS)
def test_the_rented_data_center_cards_have_rents_and_ordered_bands(card: str) -> None:
    hardware = profile(card)
    assert hardware.rents, card
    for provider_class in RENT_CLASSES:
        band = hardware.rent_band(provider_class)
        prices = yaml_rents(card, provider_class)
        if not prices:
            assert band is None
            continue
        assert band is not None
        assert band.low <= band.expected <= band.high
        assert (band.low, band.high) == (min(prices), max(prices))
        assert band.expected == pytest.approx(statistics.median(prices))


def test_a_rent_without_a_source_or_with_a_bad_class_is_refused() -> None:
    from pydantic import ValidationError

    from advisor.schema.catalog import Rent

    good = {
        "provider_class": "neocloud",
        "provider": "Lambda",
        "offer": "1x A10",
        "usd_per_hour": 1.29,
        "as_of": "2026-09-25",
        "source": "https://example.org/prices",
    }
    Rent.model_validate(good)
    Rent.model_validate({**good, "as_of": "undated, read 2026-12"})
    for bad in (
        {"source": "Lambda pricing page"},
        {"provider_class": "cheap"},
        {"usd_per_hour": 0},
        {"as_of": "recently"},
    ):
        with pytest.raises(ValidationError):
            Rent.model_validate({**good, **bad})


def test_the_named_offers_the_research_corrected() -> None:
    h100, a100, a100_40, h200 = (profile(c) for c in ("h100", "a100-80gb", "a100-40gb", "h200"))
    assert h100.cloud_usd_per_hour == 2.69 and "Community" in (h100.cloud_offer or "")
    assert a100.cloud_usd_per_hour == 1.39 and "Community" in (a100.cloud_offer or "")
    assert h200.cloud_usd_per_hour == 3.59 and "Community" in (h200.cloud_offer or "")
    assert a100_40.cloud_usd_per_hour == 1.99 and "Lambda" in (a100_40.cloud_offer or "")
    assert profile("a100-80gb-pcie").cloud_usd_per_hour == 1.79


# ---- what rent_class does to the cost ------------------------------------------------------------------------------


def test_rent_class_prices_a_rented_replica_at_the_class_median() -> None:
    h100 = profile("h100")
    # By hand from the YAML: the H100's neocloud rents sorted are 3.20, 3.90, 3.99, 3.99, 3.99, 4.29, 4.50, 6.155;
    # the median of eight is the mean of the 4th and 5th, 3.99. Its marketplace rents are 2.25, 2.4024, 2.6661,
    # 2.69: median (2.4024 + 2.6661) / 2 = 2.53425.
    assert sorted(yaml_rents("h100", "neocloud")) == [3.20, 3.90, 3.99, 3.99, 3.99, 4.29, 4.50, 6.155]
    assert sorted(yaml_rents("h100", "marketplace")) == [2.25, 2.4024, 2.6661, 2.69]
    named = devices_monthly_cost(h100, 1, Assumptions(), "rented")
    neocloud = devices_monthly_cost(h100, 1, Assumptions(rent_class="neocloud"), "rented")
    marketplace = devices_monthly_cost(h100, 2, Assumptions(rent_class="marketplace"), "rented")
    assert named.total_usd == pytest.approx(2.69 * HOURS)
    assert neocloud.total_usd == pytest.approx(3.99 * HOURS)
    assert marketplace.total_usd == pytest.approx(2 * 2.53425 * HOURS)
    assert neocloud.energy_usd == 0.0


def test_a_card_without_rents_of_the_class_keeps_its_named_offer() -> None:
    # No neocloud or marketplace T4 rent and no hyperscaler L40S rent in the catalog: the named offer stays.
    assert yaml_rents("t4", "neocloud") == [] and yaml_rents("l40s", "hyperscaler") == []
    t4, l40s = profile("t4"), profile("l40s")
    assert t4.rent_usd_per_hour("neocloud") == t4.cloud_usd_per_hour == 0.526
    assert devices_monthly_cost(t4, 1, Assumptions(rent_class="marketplace"), "rented").total_usd == pytest.approx(
        0.526 * HOURS
    )
    assert devices_monthly_cost(l40s, 1, Assumptions(rent_class="hyperscaler"), "rented").total_usd == pytest.approx(
        1.861 * HOURS
    )
    assert l40s.rent_usd_per_hour(None) == 1.861


def test_rent_class_leaves_owned_hardware_alone() -> None:
    card = profile("rtx-4090")
    assert devices_monthly_cost(card, 1, Assumptions(rent_class="neocloud"), "owned") == devices_monthly_cost(
        card, 1, Assumptions(), "owned"
    )


@pytest.mark.parametrize("value", ["cheapest", "Neocloud", 3, True])
def test_a_bad_rent_class_is_a_one_line_error_naming_the_field(value: Any) -> None:
    data = example_scenarios()["shoe-store"].to_dict()
    data["assumptions"]["rent_class"] = value
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data)
    message = str(caught.value)
    assert "assumptions.rent_class" in message
    assert "\n" not in message and "Traceback" not in message


def test_a_scenario_without_rent_class_reads_as_before() -> None:
    scenario = example_scenarios()["shoe-store"]
    assert scenario.assumptions.rent_class is None
    again = scenario.replace(rent_class="hyperscaler")
    assert again.assumptions.rent_class == "hyperscaler"
    assert "rent_class: hyperscaler" in again.to_yaml()


# ---- where people see it -------------------------------------------------------------------------------------------


def test_the_hardware_listing_shows_the_bands() -> None:
    rows = {row["id"]: row for row in catalog_rows("hardware", default_catalog())}
    h100 = rows["h100"]
    neocloud = yaml_rents("h100", "neocloud")
    assert h100["rent_neocloud"] == f"{min(neocloud):.2f}-{max(neocloud):.2f}"
    assert h100["rent_marketplace"] == "2.25-2.69"
    assert rows["a100-40gb"]["rent_neocloud"] == "1.99"  # one figure where low and high agree
    assert rows["t4"]["rent_neocloud"] is None
    assert rows["rtx-4090"]["rents_as_of"] is None
    assert rows["a100-80gb-pcie"]["rents_as_of"] == "2026-08-26 to 2026-11-09"
    assert rent_band_text(profile("l4"), "hyperscaler") == "0.71"


def test_the_cli_listing_shows_the_bands(capsys: pytest.CaptureFixture[str]) -> None:
    main(["catalog", "hardware", "--search", "h200"])
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert {"rent_hyperscaler", "rent_neocloud", "rent_marketplace", "rents_as_of"} <= set(header)
    h200 = profile("h200")
    for provider_class in RENT_CLASSES:
        band = rent_band_text(h200, provider_class)
        assert band is not None and band in out
    assert "7.91-10.44" in out


def test_every_rent_row_carries_its_source() -> None:
    rows = rent_rows(default_catalog())
    assert len(rows) == sum(len(h.rents) for h in default_catalog().hardware.values())
    assert all(row["source"].startswith("http") for row in rows)
    assert {row["hardware"] for row in rent_rows(default_catalog(), "coreweave")} >= {"h100", "h200", "l40s"}


def test_the_catalog_page_shows_the_bands() -> None:
    at = open_app("catalog")
    frames = [frame.value for frame in at.tabs[2].dataframe]
    assert len(frames) == 1
    shown = frames[0].set_index("id")
    assert shown.loc["h100", "rent_marketplace"] == "2.25-2.69"
    assert not at.exception


def test_the_questionnaire_round_trips_the_choice() -> None:
    scenario = example_scenarios()["shoe-store"].replace(rent_class="marketplace")
    draft = draft_from_scenario(scenario)
    assert draft["values"][skey("rent_class")] == "marketplace"
    assert scenario_data(draft)["assumptions"]["rent_class"] == "marketplace"
    plain = draft_from_scenario(example_scenarios()["shoe-store"])
    assert scenario_data(plain)["assumptions"]["rent_class"] is None


def test_the_questionnaire_keeps_the_rent_class() -> None:
    at = open_app()
    at.selectbox(key=skey("rent_class")).select("neocloud")
    at.button(key="q_submit").click()
    rerun(at)
    scenario = at.session_state["scenario"]
    assert isinstance(scenario, Scenario)
    assert scenario.assumptions.rent_class == "neocloud"
    assert not at.exception


def test_the_report_lists_the_rent_class_when_set() -> None:
    names = Names(default_catalog())
    scenario = example_scenarios()["shoe-store"]
    assert not any(row["item"] == "Rented GPUs priced at" for row in input_rows(scenario, names))
    rows = input_rows(scenario.replace(rent_class="neocloud"), names)
    (row,) = [row for row in rows if row["item"] == "Rented GPUs priced at"]
    assert row["section"] == "Assumptions" and "neocloud" in row["value"]


def test_the_report_prices_the_rented_card_at_the_class_median() -> None:
    from advisor.engine.recommend import recommend
    from advisor.present.report import price_rows

    scenario = example_scenarios()["shoe-store"].replace(profile="h100", rent_class="neocloud")
    rows = [row for row in price_rows(recommend(scenario), Names(default_catalog())) if row["Kind"] == "Hardware rent"]
    (row,) = [row for row in rows if row["Id"] == "h100"]
    assert row["Rent (USD/hour per device)"] == pytest.approx(3.99)
    assert row["Offer"].startswith("median of 8 neocloud rents")
    assert row["Source"].startswith("https://")
