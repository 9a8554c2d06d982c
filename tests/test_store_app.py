"""Saving from the result pages, the Saved scenarios page and short links, through the app (AppTest, via the
entrypoint), on the SQLite store in the test's own data folder."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from advisor.data.examples import default_scenario
from advisor.data.scenarios import saved_scenario
from advisor.data.share import QUERY_KEY
from advisor.data.store import default_store
from advisor.engine.recommend import recommend
from advisor.present.words import plain
from advisor.schema.scenario import Scenario
from tests.apptest import open_app, rerun


@pytest.fixture(autouse=True)
def own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ADVISOR_DB_URL", "ADVISOR_PUBLIC_URL", "STREAMLIT_BROWSER_SERVER_ADDRESS"):
        monkeypatch.delenv(name, raising=False)


def with_volume(scenario: Scenario, requests_per_day: float, name: str | None = None) -> Scenario:
    data = scenario.to_dict()
    data["workloads"][0]["requests_per_day"] = requests_per_day
    data["name"] = name or data["name"]
    return Scenario.model_validate(data)


def total_shown(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.metric if m.label == "Total per month"]


def codes(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.code]


def test_save_on_the_recommendation_page_then_the_short_link_opens_it_read_only() -> None:
    scenario = default_scenario()
    at = open_app("recommendation")
    at.text_input(key="rec_save_name").input("Shoe store <b>for</b> ACME")
    at.button(key="rec_save").click()
    rerun(at)
    (saved,) = default_store().list()
    assert saved.name == "Shoe store <b>for</b> ACME" and saved.versions == 1
    expected = recommend(scenario).total_monthly_cost_usd
    assert saved.total_monthly_cost_usd == pytest.approx(expected)
    assert [str(s.value) for s in at.success] == [f"Saved as {plain('Shoe store <b>for</b> ACME')}, version 1."]
    link = f"http://localhost:8501/recommendation?s={saved.id}"
    assert link in codes(at)
    assert at.query_params.get("s") == saved.id and QUERY_KEY not in at.query_params  # the address: the short link
    assert at.session_state["scenario"].name == saved.name

    # Someone else opens the short link: the saved scenario, its result, read-only.
    other = open_app(query={"s": saved.id})
    assert other.session_state["scenario"] == saved_scenario(default_store().open(saved.id))
    assert any("Read-only" in str(c.value) for c in other.caption)
    other.switch_page("pages/recommendation.py")
    rerun(other)
    assert total_shown(other) == [f"${expected:,.2f}"]
    assert other.query_params.get("s") == saved.id
    assert not other.error

    # An edit makes it the visitor's own scenario: the long link takes over and the store is untouched.
    other.switch_page("pages/questionnaire.py")
    rerun(other)
    other.number_input(key="q_w0_requests_per_day").set_value(123_456.0)
    other.button(key="q_submit").click()
    rerun(other)
    assert "s" not in other.query_params and QUERY_KEY in other.query_params
    assert default_store().get(saved.id).versions == 1


def test_save_on_the_costs_page_saves_the_scenario_not_the_what_if() -> None:
    scenario = default_scenario()
    at = open_app("costs")
    at.button(key="costs_save").click()
    rerun(at)
    assert saved_scenario(default_store().open(scenario.name)) == scenario
    assert f"http://localhost:8501/recommendation?s={default_store().get(scenario.name).id}" in codes(at)
    at.button(key="costs_save").click()  # again: a second version
    rerun(at)
    assert [v.version for v in default_store().history(scenario.name)] == [2, 1]
    assert "Saved as Shoe store AI, version 2." in [str(s.value) for s in at.success]


def test_an_old_version_link_and_bad_short_links() -> None:
    store = default_store()
    first = store.save(with_volume(default_scenario(), 1_000))
    store.save(with_volume(default_scenario(), 9_000))
    at = open_app(query={"s": first.id, "v": "1"})
    assert at.session_state["scenario"].workloads[0].requests_per_day == 1_000
    assert at.query_params.get("v") == "1"
    for query, message in [
        ({"s": "nope"}, "short link: 's' must be a saved scenario's id"),
        ({"s": "AAAAAAAAAAAA"}, "scenario: no saved scenario is named 'AAAAAAAAAAAA' or has that id"),
        ({"s": first.id, "v": "7"}, "version: 'Shoe store AI' has versions 1 to 2, got 7"),
        ({"s": first.id, "v": "x"}, "short link: 'v' must be a version number"),
    ]:
        bad = open_app(query=query)
        (error,) = [str(e.value) for e in bad.error]
        assert error.startswith(plain(message)), error
        assert "The link was not loaded" in error and "Traceback" not in error
        assert "`advisor" not in error  # the app points to its own pages, not to the command line
        assert bad.session_state["scenario"] == default_scenario()
    (error,) = [str(e.value) for e in open_app(query={"s": "AAAAAAAAAAAA"}).error]
    assert "(the Saved scenarios page lists them)" in error


def test_the_saved_scenarios_page_finds_opens_renames_and_deletes() -> None:
    store = default_store()
    base = default_scenario()
    for volume in (1_000, 2_000, 3_000):
        changed = with_volume(base, volume)
        store.save(changed, result=recommend(changed).to_dict())
    store.save(with_volume(base, 50, name="**Other** [link](http://x)"))
    at = open_app("saved_scenarios")
    assert at.title[0].value == "Saved scenarios"
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["**Other** [link](http://x)", "Shoe store AI"]
    assert list(table["Versions"]) == [1, 3]

    at.text_input(key="saved_search").input("shoe")
    rerun(at)
    assert list(at.dataframe[0].value["Name"]) == ["Shoe store AI"]
    history = at.dataframe[1].value
    assert list(history["Version"]) == [3, 2, 1]
    at.selectbox(key="saved_version").select(1)
    rerun(at)
    diff = "\n".join(codes(at))
    assert "requests_per_day: 1,000 -> 3,000" in diff and "total per month" in diff

    at.button(key="saved_open_version").click()
    rerun(at)
    assert at.title[0].value == "Recommendation"
    assert at.session_state["scenario"].workloads[0].requests_per_day == 1_000
    assert at.query_params.get("v") == "1"

    at.switch_page("pages/saved_scenarios.py")
    rerun(at)
    at.text_input(key="saved_search").input("")
    at.selectbox(key="saved_pick").select(store.get("Shoe store AI").id)
    rerun(at)
    at.text_input(key="saved_new_name").input("Shoe store, Q3")
    at.button(key="saved_rename").click()
    rerun(at)
    assert "Renamed to Shoe store, Q3; its link and history stay." in [str(s.value) for s in at.success]
    assert store.get("Shoe store, Q3").versions == 3

    at.selectbox(key="saved_pick").select(store.get("**Other** [link](http://x)").id)
    rerun(at)
    assert at.button(key="saved_delete").disabled
    at.checkbox(key="saved_confirm").check()
    rerun(at)
    at.button(key="saved_delete").click()
    rerun(at)
    assert [s.name for s in store.list()] == ["Shoe store, Q3"]
    # User text is text: the markdown in a name is escaped wherever it is written as Markdown.
    assert any("\\*\\*Other\\*\\*" in str(s.value) for s in at.success)
    assert not at.error


def test_a_damaged_store_is_one_line_on_the_page(isolated_home) -> None:  # type: ignore[no-untyped-def]
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "scenarios.db").write_bytes(b"this is not a database" * 100)
    at = open_app("saved_scenarios")
    (error,) = [str(e.value) for e in at.error]
    assert "the file is damaged or is not a Rightsize store" in error and "\n" not in error
    assert (isolated_home / "scenarios.db").read_bytes() == b"this is not a database" * 100
    at.switch_page("pages/recommendation.py")
    rerun(at)
    at.button(key="rec_save").click()
    rerun(at)
    assert any("the file is damaged" in str(e.value) for e in at.error)


def test_save_after_editing_the_scenario_elsewhere_keeps_the_name_and_adds_a_version() -> None:
    at = open_app("recommendation")
    assert at.text_input(key="rec_save_name").value == "Shoe store AI"
    at.button(key="rec_save").click()
    rerun(at)
    assert "Saved as Shoe store AI, version 1." in [str(s.value) for s in at.success]
    # Another page runs without the Save box: Streamlit drops the widget's key meanwhile.
    visit(at, "questionnaire")
    at.number_input(key="q_w0_requests_per_day").set_value(123_456.0)
    at.button(key="q_submit").click()
    rerun(at)
    visit(at, "recommendation")
    assert at.text_input(key="rec_save_name").value == "Shoe store AI"
    at.button(key="rec_save").click()
    rerun(at)
    assert not at.error
    assert "Saved as Shoe store AI, version 2." in [str(s.value) for s in at.success]
    assert [v.version for v in default_store().history("Shoe store AI")] == [2, 1]


def visit(at: AppTest, page: str) -> None:
    at.switch_page(f"pages/{page}.py")
    rerun(at)


def test_a_typed_save_name_survives_a_visit_to_another_page() -> None:
    at = open_app("costs")
    at.text_input(key="costs_save_name").input("Shoe store, Q3 draft")
    rerun(at)
    visit(at, "catalog")
    visit(at, "costs")
    assert at.text_input(key="costs_save_name").value == "Shoe store, Q3 draft"
    at.button(key="costs_save").click()
    rerun(at)
    assert "Saved as Shoe store, Q3 draft, version 1." in [str(s.value) for s in at.success]


def test_every_page_of_the_app_shares_a_link_under_its_own_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import types
    from pathlib import Path

    from pages import store_ui
    from tests.apptest import ENTRYPOINT

    navigation = set(re.findall(r'st\.Page\("pages/(\w+)\.py"', Path(ENTRYPOINT).read_text(encoding="utf-8")))
    assert "hybrid_lab" in navigation and store_ui.page_paths() == navigation  # no page missing, no helper counted
    for page in sorted(navigation):
        for seen in (f"http://127.0.0.1:8611/{page}", f"http://127.0.0.1:8611/{page}/"):
            assert store_ui._app_root(seen) == "http://127.0.0.1:8611"
            monkeypatch.setattr(store_ui, "st", types.SimpleNamespace(context=types.SimpleNamespace(url=seen)))
            assert store_ui.page_base() == f"http://127.0.0.1:8611/{page}"  # then ?scenario=..., no stray slash
    assert store_ui._app_root("http://127.0.0.1:8611/sub/path") == "http://127.0.0.1:8611/sub/path"
