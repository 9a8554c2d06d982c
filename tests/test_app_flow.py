"""The architect's path through the app (AppTest, via the entrypoint): questionnaire -> recommendation -> share link.

Each example scenario is typed into the questionnaire field by field, starting from a blank form; the verdict the
Recommendation page then shows must be the one `advisor.engine.recommend` gives for the example file itself.
"""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from streamlit.testing.v1 import AppTest

from advisor.data.catalog import default_catalog, load_catalog
from advisor.data.examples import example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.data.share import QUERY_KEY, encode_scenario
from advisor.engine.recommend import recommend
from advisor.present.report import Names
from advisor.present.text import headline
from advisor.present.words import money, plain
from advisor.schema.scenario import Scenario
from tests.apptest import open_app, rerun
from tests.conftest import REPO

FILLED_EXAMPLES = ["shoe-store", "hospital-records", "legal-research", "mobile-offline"]
VERDICT_BADGES = {"slm": "Small model (SLM)", "llm": "Large model (LLM)", "hybrid": "Hybrid (SLM + LLM)"}
DEPLOYMENT_NAMES = {"local": "on device", "self_hosted": "self-hosted", "api": "API", "mixed": "mixed"}
NUMBERS = [
    "requests_per_day",
    "input_tokens",
    "output_tokens",
    "latency_p95_first_token_ms",
    "latency_p95_total_ms",
    "peak_factor",
    "cached_input_share",
    "context_tokens",
]
MONEY = ["electricity_usd_per_kwh", "amortization_months", "ops_usd_per_month", "hours_per_day", "days_per_month"]


def title(at: AppTest) -> str:
    return str(at.title[0].value)


def fill_questionnaire(at: AppTest, scenario: Scenario) -> None:
    """Type `scenario` into a blank questionnaire, the way a user would: one field at a time."""
    at.selectbox(key="q_template").select("blank")
    at.button(key="q_load_template").click()
    rerun(at)
    for workload in scenario.workloads[1:]:
        at.selectbox(key="q_new_task").select(workload.task)
        at.button(key="q_add").click()
        rerun(at)
    at.text_input(key="q_name").input(scenario.name)
    for slot, workload in enumerate(scenario.workloads):
        at.text_input(key=f"q_w{slot}_name").input(workload.name)
        at.selectbox(key=f"q_w{slot}_task").select(workload.task)
        for field in NUMBERS:
            at.number_input(key=f"q_w{slot}_{field}").set_value(getattr(workload, field))
        at.selectbox(key=f"q_w{slot}_quality").select(workload.quality)
        at.text_input(key=f"q_w{slot}_languages").input(", ".join(workload.languages))
        at.checkbox(key=f"q_w{slot}_domain_data").set_value(workload.domain_data)
    at.radio(key="q_privacy").set_value(scenario.constraints.privacy)
    at.radio(key="q_deployment").set_value(scenario.constraints.deployment)
    at.multiselect(key="q_allowed_providers").set_value(scenario.constraints.allowed_providers)
    at.selectbox(key="q_profile").set_value(scenario.hardware.profile)
    at.number_input(key="q_count").set_value(scenario.hardware.count)
    at.radio(key="q_ownership").set_value(scenario.hardware.ownership)
    at.checkbox(key="q_already_owned").set_value(scenario.hardware.already_owned)
    for field in MONEY:
        at.number_input(key=f"q_{field}").set_value(getattr(scenario.assumptions, field))


def submit(at: AppTest) -> None:
    at.button(key="q_submit").click()
    rerun(at)


def shown_markdown(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.markdown]


def assert_shows_recommendation(at: AppTest, scenario: Scenario) -> None:
    expected = recommend(scenario)
    assert title(at) == "Recommendation"
    markdown = shown_markdown(at)
    total = [m.value for m in at.metric if m.label == "Total per month"]
    assert total == [money(expected.total_monthly_cost_usd)]  # cents below $100, whole dollars from $100
    per_month = [m.value for m in at.metric if m.label == "Per month"]
    assert per_month == [money(w.pick.cost) for w in expected.workloads if w.pick]
    for result in expected.workloads:  # a verdict card per workload
        if result.feasible:
            badge = f"{VERDICT_BADGES[result.verdict]} · {DEPLOYMENT_NAMES[result.deployment]}"
            assert any(badge in m for m in markdown), (badge, markdown[:6])
    # The open (first) workload's detail: its headline.
    assert f"**{plain(headline(expected.workloads[0], Names(default_catalog())))}**" in markdown
    # Only the open tab's cost-by-volume chart is drawn; the trade-off chart waits for its expander.
    assert [chart.key for chart in at.get("plotly_chart")] == ["rec_chart_0"]
    assert not at.error


@pytest.mark.parametrize("name", FILLED_EXAMPLES)
def test_filling_the_questionnaire_gives_the_libraries_verdict(name: str) -> None:
    example = example_scenarios()[name]
    at = open_app()
    assert title(at) == "Questionnaire"
    fill_questionnaire(at, example)
    submit(at)
    assert at.session_state["scenario"] == example  # every answer reached the scenario, nothing else changed
    assert_shows_recommendation(at, example)
    assert at.query_params[QUERY_KEY] == encode_scenario(example)


def test_another_workload_tab_and_the_trade_offs_are_drawn_when_opened() -> None:
    at = open_app()
    submit(at)
    tabs = [tab.label for tab in at.tabs]
    assert len(tabs) == 2 and [c.key for c in at.get("plotly_chart")] == ["rec_chart_0"]
    at.session_state["rec_trade_offs_0"] = True  # the user opens "Trade-offs"
    rerun(at)
    assert [c.key for c in at.get("plotly_chart")] == ["rec_chart_0", "rec_pareto_0"]
    at.session_state["rec_workload"] = tabs[1]  # ... then the second workload's tab
    rerun(at)
    assert [c.key for c in at.get("plotly_chart")] == ["rec_chart_1"]
    headline_1 = headline(recommend(at.session_state["scenario"]).workloads[1], Names(default_catalog()))
    assert f"**{plain(headline_1)}**" in shown_markdown(at) and not at.exception


def test_a_bad_answer_is_marked_at_its_field_and_every_other_answer_kept() -> None:
    at = open_app()
    before = at.session_state["scenario"]
    at.number_input(key="q_w0_requests_per_day").set_value(0.0)
    at.text_input(key="q_w1_languages").input("en, EN")
    at.number_input(key="q_w0_output_tokens").set_value(321)
    submit(at)
    assert title(at) == "Questionnaire"
    errors = [str(e.value) for e in at.error]
    assert "must be > 0, got 0" in errors
    assert "must be ISO 639 codes like 'en' or 'pt-BR', got 'EN'" in errors
    assert any(e.startswith("2 answers to fix") for e in errors)
    assert all("Traceback" not in e for e in errors)
    assert at.session_state["scenario"] == before
    assert at.number_input(key="q_w0_output_tokens").value == 321  # a valid edit next to the bad one is kept
    assert at.text_input(key="q_w1_languages").value == "en, EN"

    # The draft survives a visit to another page (Streamlit drops the widgets' own state there).
    at.switch_page("pages/catalog.py")
    rerun(at)
    at.switch_page("pages/questionnaire.py")
    rerun(at)
    assert at.number_input(key="q_w0_requests_per_day").value == 0
    assert at.number_input(key="q_w0_output_tokens").value == 321

    at.number_input(key="q_w0_requests_per_day").set_value(5000.0)
    at.text_input(key="q_w1_languages").input("en, de")
    submit(at)
    scenario: Scenario = at.session_state["scenario"]
    assert (scenario.workloads[0].requests_per_day, scenario.workloads[0].output_tokens) == (5000, 321)
    assert scenario.workloads[1].languages == ["en", "de"]
    assert_shows_recommendation(at, scenario)


@pytest.mark.parametrize(
    ("privacy", "deployment", "field_key"),
    [("air_gapped", "api_only", "q_deployment"), ("regulated", "api_only", "q_deployment")],
)
def test_impossible_combinations_are_refused_next_to_the_field(privacy: str, deployment: str, field_key: str) -> None:
    at = open_app()
    before = at.session_state["scenario"]
    at.radio(key="q_privacy").set_value(privacy)
    at.radio(key=field_key).set_value(deployment)
    submit(at)
    assert title(at) == "Questionnaire"
    assert any(str(e.value).startswith("'APIs only' ") for e in at.error)  # the choice in words, not its id
    assert at.session_state["scenario"] == before
    assert at.radio(key="q_privacy").value == privacy


def test_total_latency_below_first_token_target_is_refused() -> None:
    at = open_app()
    at.number_input(key="q_w0_latency_p95_first_token_ms").set_value(2000.0)
    at.number_input(key="q_w0_latency_p95_total_ms").set_value(500.0)
    submit(at)
    assert any("must be >= the first-token target (2,000 ms)" in str(e.value) for e in at.error)


def test_adding_and_removing_workloads_keeps_the_others_answers() -> None:
    at = open_app()
    at.number_input(key="q_w1_requests_per_day").set_value(777.0)
    at.selectbox(key="q_new_task").select("classification")
    at.button(key="q_add").click()
    rerun(at)
    assert at.text_input(key="q_w2_name").value == "classification-3"
    # The new workload starts from the task kind's typical figures (catalog/tasks.yaml).
    typical = load_catalog().task("classification")
    assert at.number_input(key="q_w2_input_tokens").value == typical.input_tokens
    assert at.selectbox(key="q_w2_quality").value == typical.capability
    at.button(key="q_w0_remove").click()
    rerun(at)
    assert at.number_input(key="q_w1_requests_per_day").value == 777
    submit(at)
    scenario: Scenario = at.session_state["scenario"]
    assert [w.name for w in scenario.workloads] == ["product-descriptions", "classification-3"]
    assert scenario.workloads[0].requests_per_day == 777


def test_typical_figures_follow_the_chosen_task() -> None:
    at = open_app()
    at.selectbox(key="q_w0_task").select("summarization")
    at.button(key="q_w0_typical").click()
    rerun(at)
    typical = load_catalog().task("summarization")
    assert at.number_input(key="q_w0_input_tokens").value == typical.input_tokens
    assert at.number_input(key="q_w0_output_tokens").value == typical.output_tokens
    assert at.selectbox(key="q_w0_task").value == "summarization"


def test_upload_replaces_the_answers_and_a_bad_file_keeps_them() -> None:
    at = open_app()
    text = (REPO / "examples" / "reviews-sentiment.yaml").read_bytes()
    at.file_uploader(key="q_upload").set_value(("reviews.yaml", text, "application/x-yaml"))
    rerun(at)
    assert at.session_state["scenario"] == example_scenarios()["reviews-sentiment"]
    assert at.text_input(key="q_name").value == "Review sentiment at scale"
    before = at.session_state["scenario"]
    broken = (
        b"version: 1\nname: x\n"
        b"workloads: [{name: a, task: nope, requests_per_day: 1, input_tokens: 1, output_tokens: 1}]\n"
    )
    at.file_uploader(key="q_upload").set_value(("broken.yaml", broken, "application/x-yaml"))
    rerun(at)
    assert len(at.error) == 1
    error = str(at.error[0].value)
    assert plain("broken.yaml: workloads[0].task: unknown task 'nope'") in error  # shown as text
    # What is allowed, named in the app's terms: the task kinds, not a command to run.
    assert "customer" in error and "summarization" in error and "`advisor" not in error
    assert at.session_state["scenario"] == before
    assert at.text_input(key="q_name").value == "Review sentiment at scale"


@pytest.mark.parametrize("name", ["agentic-customer-service", "contract-analysis"])
def test_a_share_link_restores_the_scenario_and_its_result(name: str) -> None:
    example = example_scenarios()[name]
    at = open_app(query={QUERY_KEY: encode_scenario(example)})
    assert at.session_state["scenario"] == example
    assert at.text_input(key="q_name").value == example.name
    at.switch_page("pages/recommendation.py")
    rerun(at)
    assert_shows_recommendation(at, example)


def test_a_damaged_share_link_says_so_and_keeps_the_scenario() -> None:
    default = open_app().session_state["scenario"]
    at = open_app(query={QUERY_KEY: encode_scenario(default)[:-12]})
    assert at.session_state["scenario"] == default
    assert len(at.error) == 1
    assert plain("share link: the 'scenario' parameter is not a Rightsize scenario") in str(at.error[0].value)
    # A link that decodes but names a field wrongly says which field.
    edited = default.to_dict()
    edited["workloads"][0]["requests_per_day"] = -5
    value = base64.urlsafe_b64encode(zlib.compress(json.dumps(edited).encode())).decode().rstrip("=")
    at = open_app(query={QUERY_KEY: value})
    assert plain("share link: workloads[0].requests_per_day: must be > 0, got -5") in str(at.error[0].value)
    assert at.session_state["scenario"] == default


def test_infeasible_scenario_shows_the_closest_options_and_all_options_on_request() -> None:
    data = example_scenarios()["hospital-records"].to_dict()
    data["constraints"]["deployment"] = "api_only"  # regulated data, no provider agreement: nothing can pass
    scenario = scenario_from_data(data)
    at = open_app(query={QUERY_KEY: encode_scenario(scenario)})
    at.switch_page("pages/recommendation.py")
    rerun(at)
    result = recommend(scenario).workloads[0]
    assert not result.feasible
    assert any("No option meets all constraints" in str(w.value) for w in at.warning)
    table, ids = at.dataframe[0].value, at.dataframe[1].value  # the options, and their ids in the expander below
    assert list(ids["Id"]) == [o.option.label for o in result.shown_options()]
    assert list(table["Option"]) == list(ids["Option"])
    assert all(status.startswith("⛔ Excluded: ") for status in table["Status"])
    at.toggle(key="rec_all_0").set_value(True)
    rerun(at)
    assert len(at.dataframe[0].value) == len(result.options)


def test_the_options_table_marks_the_pick_every_excluded_option_and_the_beaten_ones() -> None:
    """Regulated data on the shoe store: the APIs are excluded and marked so wherever they sit, never as viable."""
    data = example_scenarios()["shoe-store"].to_dict()
    data["constraints"]["privacy"] = "regulated"
    scenario = scenario_from_data(data)
    at = open_app(query={QUERY_KEY: encode_scenario(scenario)})
    at.switch_page("pages/recommendation.py")
    rerun(at)
    result = recommend(scenario).workloads[0]
    at.toggle(key="rec_all_0").set_value(True)
    rerun(at)
    table, ids = at.dataframe[0].value, at.dataframe[1].value  # the options, and their ids in the expander below
    assert list(ids["Id"]) == [o.option.label for o in result.options]
    assert list(table["Option"]) == list(ids["Option"])  # shown by name, in the same order
    by_label = {o.option.label: o for o in result.options}
    names = Names(default_catalog())
    assert table["Status"].iloc[0] == "✅ The pick"
    for label, status, why in zip(ids["Id"], table["Status"], table["Why not"], strict=True):
        ranked = by_label[label]
        if not ranked.viable:
            assert status.startswith("⛔ Excluded: ") and why, label
        elif ranked.dominated_by is not None and status != "✅ The pick":
            assert status == "➖ Beaten" and names.text(ranked.dominated_by, result) in why
    apis = [row for row, label in enumerate(ids["Id"]) if by_label[label].option.deployment == "api"]
    assert apis and all(table["Status"].iloc[row].startswith("⛔") for row in apis)
    assert {"Quality", "First token p95 (ms)", "Whole answer (ms)", "Replicas"} <= set(table.columns)
    at.session_state["rec_trade_offs_0"] = True
    rerun(at)
    assert len(at.get("plotly_chart")) == 2  # the cost by volume and, opened, the trade-off chart
