"""Bad scenario files: every one must end in exit code 2 and one line on stderr that names the field or the problem.

The table runs in-process through `advisor.cli.main` (fast); a sample also runs as a real subprocess, for
`validate` and `cost`, to prove the exit code and the absence of a traceback end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.data.scenarios import load_scenario, parse_scenario
from advisor.errors import ScenarioError
from advisor.schema.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))

GOOD = """\
version: 1
name: Test scenario
workloads:
  - name: chat
    task: classification
    requests_per_day: 100
    input_tokens: 600
    output_tokens: 150
"""


def edit(old: str, new: str) -> str:
    """GOOD with one line changed."""
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def add(text: str) -> str:
    """GOOD with lines added at the end (indent 4 adds a workload key, indent 0 a top-level key)."""
    return GOOD + text


def billion_laughs(levels: int, width: int, field: str) -> str:
    """Nested lists of aliases, the last one placed in `field`: width**levels values once expanded."""
    lines = ["defs:", '  - &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + GOOD.replace("name: Test scenario", f"{field}: *a{levels - 1}")


@dataclass(frozen=True)
class Bad:
    content: str | bytes | None  # None: nothing is written (a missing file, or a directory if is_dir)
    expect: str  # a substring the one-line message must contain
    suffix: str = ".yaml"
    is_dir: bool = False

    def write(self, tmp_path: Path) -> Path:
        path = tmp_path / f"scenario{self.suffix}"
        if self.is_dir:
            path.mkdir()
        elif isinstance(self.content, bytes):
            path.write_bytes(self.content)
        elif self.content is not None:
            path.write_text(self.content, encoding="utf-8")
        return path


W0 = "workloads[0]."
CASES: dict[str, Bad] = {
    # numbers out of range
    "rpd-zero": Bad(edit("requests_per_day: 100", "requests_per_day: 0"), W0 + "requests_per_day: must be > 0, got 0"),
    "rpd-negative": Bad(
        edit("requests_per_day: 100", "requests_per_day: -5"), W0 + "requests_per_day: must be > 0, got -5"
    ),
    "rpd-nan": Bad(
        edit("requests_per_day: 100", "requests_per_day: .nan"), W0 + "requests_per_day: must be a finite number"
    ),
    "rpd-inf": Bad(
        edit("requests_per_day: 100", "requests_per_day: .inf"), W0 + "requests_per_day: must be a finite number"
    ),
    "rpd-absurd-1e15": Bad(
        edit("requests_per_day: 100", "requests_per_day: 1e15"),
        W0 + "requests_per_day: must be <= 10,000,000,000, got 1,000,000,000,000,000",
    ),
    "rpd-true": Bad(
        edit("requests_per_day: 100", "requests_per_day: true"), W0 + "requests_per_day: must be a number, got true"
    ),
    # YAML 1.2: yes / no / on / off are words, not booleans (`languages: [sv, da, no]` keeps Norwegian).
    "rpd-yes": Bad(
        edit("requests_per_day: 100", "requests_per_day: yes"), W0 + "requests_per_day: must be a number, got 'yes'"
    ),
    "input-zero": Bad(edit("input_tokens: 600", "input_tokens: 0"), W0 + "input_tokens: must be > 0, got 0"),
    "input-negative": Bad(edit("input_tokens: 600", "input_tokens: -600"), W0 + "input_tokens: must be > 0, got -600"),
    "input-huge": Bad(
        edit("input_tokens: 600", "input_tokens: 100000000000"), W0 + "input_tokens: must be <= 10,000,000, got"
    ),
    "input-fraction": Bad(
        edit("input_tokens: 600", "input_tokens: 1.5"), W0 + "input_tokens: must be a whole number, got 1.5"
    ),
    "output-zero": Bad(edit("output_tokens: 150", "output_tokens: 0"), W0 + "output_tokens: must be > 0, got 0"),
    "output-negative": Bad(edit("output_tokens: 150", "output_tokens: -1"), W0 + "output_tokens: must be > 0, got -1"),
    "output-huge": Bad(
        edit("output_tokens: 150", "output_tokens: 99999999999999999999"), W0 + "output_tokens: must be <= 1,000,000"
    ),
    "cached-share-1.5": Bad(add("    cached_input_share: 1.5\n"), W0 + "cached_input_share: must be <= 1, got 1.5"),
    "cached-share-negative": Bad(
        add("    cached_input_share: -0.1\n"), W0 + "cached_input_share: must be >= 0, got -0.1"
    ),
    "peak-factor-0.5": Bad(add("    peak_factor: 0.5\n"), W0 + "peak_factor: must be >= 1, got 0.5"),
    "latency-negative": Bad(add("    latency_p95_total_ms: -1\n"), W0 + "latency_p95_total_ms: must be > 0, got -1"),
    "hours-per-day-0": Bad(add("assumptions:\n  hours_per_day: 0\n"), "assumptions.hours_per_day: must be >= 1, got 0"),
    "hours-per-day-25": Bad(
        add("assumptions:\n  hours_per_day: 25\n"), "assumptions.hours_per_day: must be <= 24, got 25"
    ),
    "electricity-negative": Bad(
        add("assumptions:\n  electricity_usd_per_kwh: -0.1\n"),
        "assumptions.electricity_usd_per_kwh: must be >= 0, got -0.1",
    ),
    "hardware-count-0": Bad(add("hardware:\n  count: 0\n"), "hardware.count: must be >= 1, got 0"),
    "currency-lowercase": Bad(
        add("assumptions:\n  currency: usd\n"),
        "assumptions.currency: must be a three-letter currency code in capitals (ISO 4217",
    ),
    # ids: typos get a suggestion
    "task-typo": Bad(
        edit("task: classification", "task: clasification"),
        W0 + "task: unknown task 'clasification'; did you mean 'classification'",
    ),
    "hardware-typo": Bad(
        add("hardware:\n  profile: rtx-4909\n"),
        "hardware.profile: unknown hardware 'rtx-4909'; did you mean 'rtx-4090'",
    ),
    # keys
    "unknown-top-level-key": Bad(
        add("colour: blue\n"), "colour: unknown key 'colour'; allowed keys here: version, name"
    ),
    "unknown-workload-key": Bad(
        add("    request_per_day: 5\n"),
        W0 + "request_per_day: unknown key 'request_per_day' (did you mean 'requests_per_day'?); allowed keys here: "
        "name, task, requests_per_day, input_tokens, output_tokens, cached_input_share, peak_factor",
    ),
    "duplicate-key": Bad(add("    input_tokens: 700\n"), "line 9: duplicate key 'input_tokens'"),
    "missing-name": Bad(GOOD.replace("name: Test scenario\n", ""), ": name: required but missing"),
    "missing-workloads": Bad("version: 1\nname: t\n", ": workloads: required but missing"),
    "missing-version": Bad(GOOD.replace("version: 1\n", ""), ": version: required but missing"),
    # wrong types
    "rpd-text": Bad(
        edit("requests_per_day: 100", "requests_per_day: lots"), W0 + "requests_per_day: must be a number, got 'lots'"
    ),
    "workloads-text": Bad("version: 1\nname: t\nworkloads: abc\n", "workloads: must be a list, got 'abc'"),
    "workload-null": Bad("version: 1\nname: t\nworkloads:\n  - null\n", "workloads[0]: must be a mapping of keys"),
    "languages-number": Bad(add("    languages: 5\n"), W0 + "languages: must be a list, got 5"),
    "domain-data-maybe": Bad(add("    domain_data: maybe\n"), W0 + "domain_data: must be true or false, got 'maybe'"),
    "version-2": Bad(edit("version: 1", "version: 2"), "version: must be one of 1, got 2"),
    "version-true": Bad(edit("version: 1", "version: true"), "version: must be a number, got true"),
    # whole-scenario rules
    "empty-workloads": Bad("version: 1\nname: t\nworkloads: []\n", "workloads: must not be empty"),
    "duplicate-workload-names": Bad(
        GOOD + GOOD.split("workloads:\n")[1], "workloads[1].name: must be unique, 'chat' appears twice"
    ),
    "context-smaller-than-request": Bad(
        add("    context_tokens: 500\n"),
        W0 + "context_tokens: must be >= input_tokens + output_tokens (750), got 500",
    ),
    # enumerations list what is allowed
    "privacy-secret": Bad(
        add("constraints:\n  privacy: secret\n"),
        "constraints.privacy: must be one of public | internal | confidential | regulated | air_gapped, got 'secret'",
    ),
    "deployment-cloud": Bad(
        add("constraints:\n  deployment: cloud\n"),
        "constraints.deployment: must be one of any | local_only | api_only, got 'cloud'",
    ),
    "ownership-leased": Bad(
        add("hardware:\n  ownership: leased\n"), "hardware.ownership: must be one of owned | rented, got 'leased'"
    ),
    "quality-premium": Bad(
        add("    quality: premium\n"), W0 + "quality: must be one of basic | standard | frontier, got 'premium'"
    ),
    "language-name-not-code": Bad(
        add("    languages: [en, English]\n"),
        W0 + "languages: must be ISO 639 codes like 'en' or 'pt-BR', got 'English'",
    ),
    # the file itself
    "empty-file": Bad("", "empty; a scenario needs at least version, name and workloads"),
    "only-a-comment": Bad("# nothing here yet\n", "empty; a scenario needs at least version, name and workloads"),
    "yaml-syntax-error": Bad(
        GOOD.replace("    task:", "   task:"), "line 5, column 4: YAML syntax error: expected <block end>"
    ),
    "yaml-tab-indent": Bad(GOOD.replace("    task:", "\ttask:"), "line 5, column 1: YAML syntax error"),
    "top-level-list": Bad(
        "- version: 1\n- name: t\n", "must be a mapping of keys (version, name, workloads...), got list"
    ),
    "top-level-text": Bad("just some words\n", "must be a mapping of keys (version, name, workloads...), got str"),
    "over-1mb": Bad(GOOD + "#" * 1_000_001 + "\n", "bytes; a scenario file must be under 1,000,000 bytes"),
    "alias-bomb-72-aliases": Bad(billion_laughs(9, 9, "name"), "YAML aliases expand to more than 10,000 values"),
    "alias-bomb-many-aliases": Bad(billion_laughs(3, 200, "name"), "more than 100 YAML aliases"),
    "alias-recursive": Bad("version: 1\nname: &a [*a]\n", "line 2: a YAML alias refers to itself"),
    "directory": Bad(None, "is a directory, expected a scenario file", is_dir=True),
    "missing-file": Bad(None, "no such scenario file"),
    "json-syntax-error": Bad(
        '{\n  "version": 1,\n  "name": "t",,\n  "workloads": []\n}\n',
        "line 3, column 15: JSON syntax error: Expecting property name",
        suffix=".json",
    ),
    "json-duplicate-key": Bad('{"version": 1, "version": 1}', "duplicate key 'version'", suffix=".json"),
    "json-nan": Bad(
        json.dumps(
            {
                "version": 1,
                "name": "t",
                "workloads": [
                    {
                        "name": "w",
                        "task": "rag_qa",
                        "requests_per_day": float("nan"),
                        "input_tokens": 1,
                        "output_tokens": 1,
                    }
                ],
            }
        ),
        W0 + "requests_per_day: must be a finite number, got nan",
        suffix=".json",
    ),
    "not-utf8": Bad(GOOD.replace("Test scenario", "Caf\xe9").encode("latin-1"), "not UTF-8 text (byte 20)"),
}

# End to end through a real interpreter: exit code, stderr and stdout as a user sees them.
SUBPROCESS_VALIDATE = [
    "rpd-negative",
    "task-typo",
    "unknown-workload-key",
    "yaml-syntax-error",
    "alias-bomb-72-aliases",
    "directory",
    "missing-file",
    "not-utf8",
]
SUBPROCESS_COST = ["rpd-nan", "hardware-typo", "json-syntax-error"]
IN_PROCESS_COST = [*SUBPROCESS_COST, "privacy-secret", "over-1mb", "empty-file", "duplicate-workload-names"]


def check_one_line(stderr: str, expect: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.endswith("\n")
    lines = stderr[:-1].split("\n")
    assert len(lines) == 1, stderr
    assert lines[0].startswith("advisor: error: "), stderr
    assert expect in lines[0], f"{expect!r} not in {lines[0]!r}"


def run_in_process(command: str, case: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = case.write(tmp_path)
    code = main([command, str(path)])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.out == ""
    check_one_line(captured.err, case.expect)


def run_subprocess(command: str, case: Bad, tmp_path: Path) -> float:
    path = case.write(tmp_path)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", command, str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 2, result
    assert result.stdout == ""
    check_one_line(result.stderr, case.expect)
    return elapsed


def test_enough_cases() -> None:
    assert len(CASES) >= 32


@pytest.mark.parametrize("case", [pytest.param(case, id=name) for name, case in CASES.items()])
def test_validate_refuses(case: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_in_process("validate", case, tmp_path, capsys)


@pytest.mark.parametrize("name", IN_PROCESS_COST)
def test_cost_refuses(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_in_process("cost", CASES[name], tmp_path, capsys)


@pytest.mark.parametrize(
    ("command", "name"),
    [pytest.param("validate", n, id=f"validate-{n}") for n in SUBPROCESS_VALIDATE]
    + [pytest.param("cost", n, id=f"cost-{n}") for n in SUBPROCESS_COST],
)
def test_cli_subprocess_refuses(command: str, name: str, tmp_path: Path) -> None:
    run_subprocess(command, CASES[name], tmp_path)


@pytest.mark.parametrize("name", ["alias-bomb-72-aliases", "alias-bomb-many-aliases", "over-1mb"])
def test_hostile_files_fail_fast(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_scenario(EXAMPLES[0])  # import and catalog load happen here, outside the timing
    start = time.perf_counter()
    run_in_process("validate", CASES[name], tmp_path, capsys)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "name", ["rpd-negative", "task-typo", "privacy-secret", "yaml-syntax-error", "missing-file", "json-syntax-error"]
)
def test_load_scenario_raises_scenario_error(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(case.write(tmp_path))
    assert isinstance(caught.value, ValueError)
    assert case.expect in str(caught.value)


GOOD_EDGE_CASES = {
    "hardware-alias": (add("hardware:\n  profile: RTX 4090\n"), ".yaml", "profile: rtx-4090"),
    "domain-data-yes": (add("    domain_data: yes\n"), ".yaml", "domain_data: true"),
    "rpd-1e3": (edit("requests_per_day: 100", "requests_per_day: 1e3"), ".yaml", "requests_per_day: 1000\n"),
    "utf8-bom": ("\ufeff" + GOOD, ".yaml", "name: Test scenario"),
    "json-tabs-exponent-emoji": (
        json.dumps(
            {
                "version": 1,
                "name": "Shoes \U0001f45f",
                "workloads": [
                    {"name": "w", "task": "rag_qa", "requests_per_day": 2e4, "input_tokens": 6e2, "output_tokens": 150}
                ],
            },
            indent="\t",
        ),
        ".json",
        "input_tokens: 600",
    ),
}


@pytest.mark.parametrize(("text", "suffix", "expect"), [pytest.param(*v, id=k) for k, v in GOOD_EDGE_CASES.items()])
def test_validate_accepts(
    text: str, suffix: str, expect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"scenario{suffix}"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert expect in captured.out


def test_hardware_alias_subprocess(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text(add("hardware:\n  profile: RTX 4090\n"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "profile: rtx-4090" in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_round_trip(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert parse_scenario(scenario.to_yaml()) == scenario
    assert parse_scenario(json.dumps(scenario.to_dict()), origin="dump.json") == scenario
    saved = tmp_path / f"{path.stem}.json"
    scenario.save(saved)
    assert load_scenario(saved) == scenario
