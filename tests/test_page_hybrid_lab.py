"""The Hybrid lab page in AppTest: an upload, a run against llama.cpp's server as the large side, the result, and
"Use this split" turning the Recommendation's hybrid into "measured on your prompts"."""

from __future__ import annotations

import pytest

from tests.apptest import open_app, rerun


def test_the_page_opens_on_the_sample_set_with_the_task_share_and_both_routers() -> None:
    from advisor.data.catalog import load_catalog

    at = open_app("hybrid_lab")
    assert at.title[0].value == "Hybrid lab"
    assert at.radio(key="lab_source").value.startswith("Sample set")
    options = at.selectbox(key="lab_router").options
    assert any(o.startswith("Rule router") for o in options)
    assert any(o.startswith("Self-check cascade") for o in options)
    task = at.session_state["scenario"].workloads[0].task
    assert at.slider(key="lab_share").value == pytest.approx(load_catalog().task_routing(task).small_share)
    assert not at.exception


def test_a_bad_upload_is_one_line_and_the_run_button_stays_off() -> None:
    at = open_app("hybrid_lab")
    at.radio(key="lab_source").set_value("My prompts (CSV or JSONL upload)")
    rerun(at)
    at.file_uploader(key="lab_upload").upload("mine.csv", b"question,answer\nhi,there\n", "text/csv")
    rerun(at)
    from advisor.present.words import plain

    errors = [e.value for e in at.error]
    message = "mine.csv: unknown column 'question'; the columns are prompt (required), expected, label, match, id"
    assert errors == [plain(message)]
    assert at.button(key="lab_run").disabled
    at.file_uploader(key="lab_upload").set_value(("pic.csv", b"\x89PNG\x00\x00", "text/csv"))
    rerun(at)
    assert [e.value for e in at.error] == [plain("pic.csv: a binary file, not CSV or JSONL text")]


@pytest.mark.slow
def test_an_upload_runs_against_a_local_server_and_use_this_split_reaches_the_recommendation(
    llama_server: tuple[str, str],
) -> None:
    base_url, _ = llama_server
    at = open_app("hybrid_lab")
    at.default_timeout = 300
    at.radio(key="lab_source").set_value("My prompts (CSV or JSONL upload)")
    rerun(at)
    upload = (
        "prompt,expected,label\n"
        "What is the capital of France? Answer with the city only.,Paris,rag_qa\n"
        '"Classify: ""I love it"". Answer positive, negative or neutral.",positive,classification\n'
        "What is 12 times 3? Answer with the number only.,36,complex_reasoning\n"
        "Write a one-line greeting for a customer <b>**bold**</b>.,,support\n"
    )
    at.file_uploader(key="lab_upload").upload("mine.csv", upload.encode(), "text/csv")
    rerun(at)
    at.selectbox(key="lab_router").set_value("rule")
    at.slider(key="lab_share").set_value(0.5)
    at.text_input(key="lab_api_model").input("gpt-4o-mini")
    at.text_input(key="lab_api_base").input(base_url)
    at.text_input(key="lab_api_key").input("sk-visitor-key")
    at.slider(key="lab_max_tokens").set_value(8)
    rerun(at)
    at.button(key="lab_run").click()
    rerun(at)
    workload, result = at.session_state["lab_result"]
    assert len(result.prompts) == 4 and len(result.finished) == 4 and not result.failed
    assert result.small_share == 0.5 and result.escalation_share == 0.5
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Kept on the small model"] == "50%" and metrics["Escalated"] == "50%"
    table = next(d.value for d in at.dataframe if "Prompt" in d.value.columns)
    assert list(table["Prompt"]) == [p.prompt.id for p in result.prompts]
    assert table["Route"].value_counts().to_dict() == {"small": 2, "large": 2}
    # The key is nowhere on the page or in what is kept.
    page_text = str([e.value for e in at.main if hasattr(e, "value") and not isinstance(e.value, bool | int)])
    assert "sk-visitor-key" not in page_text.replace(repr(at.text_input(key="lab_api_key").value), "")
    assert "sk-visitor-key" not in result.to_dict().__repr__()
    at.button(key="lab_use").click()
    rerun(at)
    split = at.session_state["scenario"].workload(workload).measured_split
    assert split is not None and split.small_share == 0.5 and split.pattern == "router" and split.prompts == 4
    typed = at.session_state["scenario"].workload(workload).input_tokens  # the box was not ticked: kept
    at.checkbox(key="lab_use_tokens").check()
    at.button(key="lab_use").click()
    rerun(at)
    sized = at.session_state["scenario"].workload(workload)
    assert sized.input_tokens == round(result.profiles[-1].mean) != typed and sized.measured_split == split
    at.switch_page("pages/recommendation.py")
    rerun(at)
    assert not at.exception
    shown = " ".join(str(d.value.to_dict()) for d in at.dataframe) + " ".join(str(m.value) for m in at.markdown)
    assert "measured on your prompts" in shown
    # ... in the options table's names too, not only among the ids in the expander below it.
    names = [name for name in at.dataframe[0].value["Option"] if name.startswith("Router:")]
    assert names and all(name.endswith("(measured on your prompts)") for name in names)
