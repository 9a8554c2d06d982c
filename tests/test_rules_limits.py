"""A hostile or careless rules file cannot exhaust the machine or end in an internal error: its conditions and
texts are bounded when it loads, and a condition that fails when evaluated is an error naming the rule."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import advisor
from advisor.cli import main
from advisor.data.catalog import load_rules
from advisor.errors import CatalogError
from advisor.schema.rules import (
    MAX_CONDITION_CHARS,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_NODES,
    MAX_NUMBER_DIGITS,
    MAX_STRING_CHARS,
    Rule,
)

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (REPO / "catalog" / "rules.yaml").read_text(encoding="utf-8")
SHOE_STORE = REPO / "examples" / "shoe-store.yaml"
APPENDED = f"rules[{len(load_rules().rules)}]"
"""Where the rule each test appends to the shipped ones sits."""
FAST_S = 2.0
"""Every refusal comes well within this; before the limits some of these cases ran for 20 s to minutes."""


def quoted(text: str) -> str:
    """`text` as a YAML single-quoted scalar."""
    return "'" + text.replace("'", "''") + "'"


def rules_file(tmp_path: Path, rule_id: str, when: str, text: str = "A hostile rule.", kind: str = "soft") -> Path:
    """The shipped rules with one more rule appended, in a file of its own (load_rules caches per path)."""
    path = tmp_path / f"{rule_id}.yaml"
    path.write_text(
        SHIPPED.rstrip("\n")
        + f"\n\n  - id: {rule_id}\n    kind: {kind}\n    when: {quoted(when)}\n"
        + f'    text: {quoted(text)}\n    source: "this test"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def warm() -> None:
    """One recommendation with the shipped rules first: the timed calls then measure the rules, not the first
    read of the catalog and price table."""
    advisor.recommend(advisor.load_scenario(SHOE_STORE))


def refused_at_load(path: Path) -> str:
    start = time.perf_counter()
    with pytest.raises(CatalogError) as error:
        load_rules(path)
    assert time.perf_counter() - start < FAST_S
    message = str(error.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------------------------- at load time
LOAD_CASES: dict[str, tuple[str, str]] = {
    # id: (condition, what the message says)
    "repeat_list": ("len([0]*100000000) > 0", "'*' may not repeat a list or a text"),
    "repeat_list_right": ("len(100000000 * [0]) > 0", "'*' may not repeat a list or a text"),
    "repeat_tuple": ("len((0, 1) * 100000000) > 0", "'*' may not repeat a list or a text"),
    "repeat_text": ("len('ab' * 100000000) > 0", "'*' may not repeat a list or a text"),
    "many_ors": (" or ".join(["workload.requests_per_day > 1"] * 5000), "characters; at most 2,000"),
    "many_nots": ("not " * 5000 + "workload.domain_data", "characters; at most 2,000"),
    "deep_nots": ("not " * 40 + "workload.domain_data", f"nests too deeply (more than {MAX_CONDITION_DEPTH}"),
    "deep_sum": (" + ".join(["1"] * 60) + " > 0", "nests too deeply"),
    "deep_brackets": ("(" * 250 + "1" + ")" * 250 + " > 0", "not a valid expression"),
    "many_nodes": (
        "len([" + ", ".join(["1"] * 400) + "]) > 0",
        f"too large (more than {MAX_CONDITION_NODES} syntax-tree nodes",
    ),
    "big_int": ("workload.requests_per_day > 1000000000000000", f"at most {MAX_NUMBER_DIGITS} digits"),
    "big_int_underscores": ("workload.requests_per_day < 99_999_999_999_999_999_999", "too large"),
    "big_float": ("workload.requests_per_day > 1e16", "too large"),
    "infinite_float": ("workload.requests_per_day > 1e999", "number inf is too large"),
    "long_text": ("workload.name == '" + "x" * 300 + "'", f"at most {MAX_STRING_CHARS}"),
    "complex_constant": ("workload.requests_per_day > 1j", "complex constants are not allowed"),
    "bytes_constant": ("workload.name == b'x'", "bytes constants are not allowed"),
    "power": ("workload.requests_per_day ** 999999 > 0", "'Pow' is not allowed"),
    "modulo_format": ("len('%999999999d' % 1) > 0", "'Mod' is not allowed"),
    "null_byte": ("workload.domain_data\x00", "not a valid expression"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("rule_id", sorted(LOAD_CASES))
def test_hostile_condition_is_refused_at_load_naming_the_rule(tmp_path: Path, rule_id: str) -> None:
    when, expected = LOAD_CASES[rule_id]
    if rule_id == "null_byte":  # YAML writes it as an escape in a double-quoted scalar
        path = rules_file(tmp_path, rule_id, "PLACEHOLDER")
        path.write_text(path.read_text().replace("'PLACEHOLDER'", '"workload.domain_data\\0"'))
    else:
        path = rules_file(tmp_path, rule_id, when)
    message = refused_at_load(path)
    assert message.startswith(f"{rule_id}.yaml: rule {rule_id} ({APPENDED}.when): "), message
    assert expected in message, message


TEXT_CASES: dict[str, tuple[str, str]] = {
    "huge_width": ("{workload.name:2000000000}", "the width is too large (at most 3 digits)"),
    "huge_padded_width": ("{workload.name:x>0000012345}", "the width is too large"),
    "huge_precision": ("{workload.requests_per_day:,.2000000000f}", "the precision is too large"),
    "nested_spec": ("{workload.name:{workload.task}}", "not a format spec"),
    "unknown_spec": ("{workload.name:>>>}", "not a format spec"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("rule_id", sorted(TEXT_CASES))
def test_hostile_text_format_is_refused_at_load(tmp_path: Path, rule_id: str) -> None:
    text, expected = TEXT_CASES[rule_id]
    message = refused_at_load(rules_file(tmp_path, rule_id, "workload.requests_per_day > 0", text=text))
    assert message.startswith(f"{rule_id}.yaml: rule {rule_id} ({APPENDED}.text): "), message
    assert expected in message, message


def test_ordinary_format_specs_still_render(tmp_path: Path) -> None:
    text = "{workload.name:>12} {workload.requests_per_day:,.0f} {workload.cached_input_share:.1%} {workload.task:.3}"
    path = rules_file(tmp_path, "formatted", "workload.requests_per_day > 1000", text=text)
    recommendation = advisor.recommend(advisor.load_scenario(SHOE_STORE), rules=path)
    reason = next(r for r in recommendation.workloads[0].reasons if r.rule == "formatted")
    assert reason.text == "support-chat 20,000 50.0% cus"


def test_conditions_near_the_limits_still_load(tmp_path: Path) -> None:
    """Limits, not a ban: 20 comparisons, a sum of 20 terms, a 15-digit number and a 200-character text pass."""
    comparisons = " and ".join(["workload.requests_per_day > 1"] * 20)
    total = " + ".join(["workload.input_tokens"] * 20)
    when = f"{comparisons} and {total} < 999_999_999_999_999 and workload.name != '{'x' * MAX_STRING_CHARS}'"
    path = rules_file(tmp_path, "near_the_limits", when)
    rule = next(r for r in load_rules(path).rules if r.id == "near_the_limits")
    assert rule.when.count(" and ") == 21
    recommendation = advisor.recommend(advisor.load_scenario(SHOE_STORE), rules=path)
    assert "near_the_limits" in {r.rule for r in recommendation.workloads[0].reasons}


def depth(node: ast.AST) -> int:
    return 1 + max((depth(child) for child in ast.iter_child_nodes(node)), default=0)


def test_shipped_rules_load_and_sit_well_within_every_limit() -> None:
    for rule in load_rules().rules:
        tree = ast.parse(rule.when.strip(), mode="eval")
        assert len(rule.when) <= MAX_CONDITION_CHARS // 5, rule.id
        assert sum(1 for _ in ast.walk(tree)) <= MAX_CONDITION_NODES // 5, rule.id
        assert depth(tree) <= MAX_CONDITION_DEPTH // 2, rule.id
        Rule.model_validate(rule.model_dump())  # the checks run again on the same data


# ------------------------------------------------------------------------------------------ at evaluation time
EVAL_CASES: dict[str, tuple[str, str, str]] = {
    # id: (kind, condition, the problem named)
    "divide_by_zero": ("soft", "workload.requests_per_day / 0 > 1", "cannot evaluate (float division by zero)"),
    "constant_divide_by_zero": ("soft", "1/0 > 1", "cannot evaluate (division by zero)"),
    "empty_min": ("soft", "min([]) > 0", "cannot evaluate (min() "),  # 3.11 and 3.12 word it differently
    "repeat_languages": (
        "soft",
        "len(workload.languages * 100000000) > 0",
        "cannot evaluate ('*' multiplies numbers only, got list)",
    ),
    "repeat_name": ("soft", "len(100000000 * workload.name) > 0", "got str"),
    "huge_round": ("soft", "round(workload.requests_per_day, -999999999999999) > 0", "ndigits between -100 and 100"),
    "text_against_number": ("soft", "workload.name > 3", "not supported between instances of 'str' and 'int'"),
    "hard_divide_by_zero": ("hard", "option.memory_gb is not None and option.memory_gb / 0 > 1", "division by zero"),
    "overflow": ("soft", "finite(" + " * ".join(["999999999999999"] * 22) + ")", "cannot evaluate (int too large"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("rule_id", sorted(EVAL_CASES))
def test_condition_failing_when_evaluated_names_the_rule(warm: None, tmp_path: Path, rule_id: str) -> None:
    kind, when, expected = EVAL_CASES[rule_id]
    path = rules_file(tmp_path, rule_id, when, kind=kind)
    load_rules(path)  # passes the load-time checks
    start = time.perf_counter()
    with pytest.raises(CatalogError) as error:
        advisor.recommend(advisor.load_scenario(SHOE_STORE), rules=path)
    assert time.perf_counter() - start < FAST_S
    message = str(error.value)
    assert message.startswith(f"rule {rule_id}: cannot evaluate ("), message
    assert message.endswith("; fix the rules file"), message
    assert expected in message, message
    assert "\n" not in message


def test_missing_figure_still_makes_a_user_condition_false(tmp_path: Path) -> None:
    """shoe-store's workloads set no total-latency target: None compared or multiplied is 'does not hold'."""
    when = "workload.latency_p95_total_ms * 2 > 5 or workload.latency_p95_total_ms < 5"
    path = rules_file(tmp_path, "no_total_target", when)
    recommendation = advisor.recommend(advisor.load_scenario(SHOE_STORE), rules=path)
    assert all("no_total_target" not in {r.rule for r in w.reasons} for w in recommendation.workloads)


def test_numbers_still_multiply(tmp_path: Path) -> None:
    path = rules_file(tmp_path, "tokens_a_day", "workload.requests_per_day * workload.input_tokens * 2 > 1000")
    recommendation = advisor.recommend(advisor.load_scenario(SHOE_STORE), rules=path)
    assert "tokens_a_day" in {r.rule for r in recommendation.workloads[0].reasons}


# ----------------------------------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize(
    ("rule_id", "when", "expected"),
    [
        ("cli_repeat", "len([0]*100000000) > 0", "when): '*' may not repeat a list or a text"),
        ("cli_divide", "1/0 > 1", "rule cli_divide: cannot evaluate (division by zero); fix the rules file"),
        ("cli_empty_min", "min([]) > 0", "rule cli_empty_min: cannot evaluate (min() "),
    ],
)
def test_cli_reports_a_bad_rule_in_one_line_with_exit_code_2(
    warm: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], rule_id: str, when: str, expected: str
) -> None:
    path = rules_file(tmp_path, rule_id, when)
    start = time.perf_counter()
    code = main(["recommend", str(SHOE_STORE), "--rules", str(path)])
    assert time.perf_counter() - start < FAST_S
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert err.startswith("advisor: error: "), err
    assert f"rule {rule_id} " in err or f"rule {rule_id}:" in err, err
    assert expected in err, err
    assert "internal error" not in err


# ------------------------------------------------------------------------------------------------- the memory
MEMORY_PROBE = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024**2, 1536 * 1024**2))
import advisor
from advisor.errors import CatalogError
for name in ("at_load", "at_evaluation"):
    try:
        advisor.recommend(advisor.load_scenario(sys.argv[1]), rules=Path(sys.argv[2]) / f"{name}.yaml")
    except CatalogError as e:
        print(f"refused: {e}")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
@pytest.mark.timeout(60)
def test_repetition_is_refused_under_a_memory_cap(tmp_path: Path) -> None:
    """Before the limits, `len([0]*100000000)` took 846 MB: within 1.5 GB of address space both are refused."""
    rules_file(tmp_path, "at_load", "len([0]*100000000) > 0")
    rules_file(tmp_path, "at_evaluation", "len(workload.languages * 300000000) > 0")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEMORY_PROBE), str(SHOE_STORE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert f"rule at_load ({APPENDED}.when): '*' may not repeat" in lines[0]
    assert lines[1].startswith("refused: rule at_evaluation: cannot evaluate ('*' multiplies numbers only")
