"""Live measurements in the team store (ADVISOR_DB_URL), on a real SQLite file and a real PostgreSQL server.

Two "users" are two processes with their own data folders (ADVISOR_HOME) and one store: what one saves, the other's
estimates use at once, and say "measured". Without ADVISOR_DB_URL the measurements stay in measurements.json
(tests/test_measurement_store.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.cli import main
from advisor.data.catalog import default_catalog
from advisor.data.measurements import (
    data_dir,
    machine_description,
    read_measurements,
    record_measurement,
    store_version,
)
from advisor.data.scenarios import load_scenario
from advisor.data.store import ScenarioStore, StoreError, open_store
from tests.conftest import EXAMPLES, REPO
from tests.test_store import db_url, postgres_server  # noqa: F401  (fixtures: both backends)

SHOE = EXAMPLES / "shoe-store.yaml"

# A user in another process: record one measurement, print what the store now holds for this machine.
RECORD = """
import json, sys
from advisor.data.measurements import read_measurements, record_measurement
model, quant, hardware, speed = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
record_measurement(model, quant, hardware, speed, first_token_ms=150.0, prompt_tokens=600)
print(json.dumps(sorted(read_measurements().entries)))
"""


@pytest.fixture
def team(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    """This process is a user of the team store at db_url."""
    monkeypatch.setenv("ADVISOR_DB_URL", db_url)
    yield db_url


def other_user(home: Path, url: str, code: str, *args: str) -> str:
    """Run `code` as another user: another process, its own data folder, the same team store."""
    env = {**os.environ, "ADVISOR_HOME": str(home), "ADVISOR_DB_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def self_hosted(result: Any, basis: str | None = None) -> list[dict[str, Any]]:
    options = result.to_dict()["workloads"][0]["options"]
    return [o for o in options if o["deployment"] == "self_hosted" and (basis is None or o["basis"] == basis)]


def quietly(function: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args)


# ---- two users, one store -----------------------------------------------------------------------------------------


def test_a_measurement_saved_by_one_user_is_measured_in_the_others_recommendation(team: str, tmp_path: Path) -> None:
    scenario = load_scenario(SHOE)
    before = quietly(advisor.recommend, scenario)  # this user's snapshot, cached per store version
    option = self_hosted(before, "estimated")[0]
    assert quietly(default_catalog) is quietly(default_catalog)  # nothing changed: the same snapshot

    out = other_user(tmp_path / "user-a", team, RECORD, option["model"], option["quant"], option["hardware"], "42.5")
    pair = f"{option['model']}|{option['quant']}|{option['hardware']}"
    assert json.loads(out) == [pair]

    after = quietly(advisor.recommend, scenario)
    (same,) = [o for o in self_hosted(after) if o["label"] == option["label"]]
    assert same["basis"] == "measured"
    fit = advisor.estimate_fit(option["model"], option["hardware"], option["quant"])
    assert fit.basis == "measured" and fit.tokens_per_s["expected"] == 42.5

    # A third user, a fresh process with nothing cached, gets the same from the command line.
    cli = "import sys; from advisor.cli import main; sys.exit(main(['recommend', sys.argv[1], '--format', 'json']))"
    report = other_user(tmp_path / "user-c", team, cli, str(SHOE))
    workload = json.loads(report)["workloads"][0]
    (seen,) = [o for o in workload["options"] if o["label"] == option["label"]]
    assert seen["basis"] == "measured"


def test_an_api_latency_kept_by_one_user_is_measured_in_the_others_recommendation(team: str, tmp_path: Path) -> None:
    """`advisor compare --calibrate` on an API model writes (provider/model, API, hosted-api): the team shares it."""
    from advisor.data.measurements import API_QUANT, HOSTED_API_ID

    scenario = load_scenario(SHOE)
    label = "openai/gpt-4o-mini"
    before = quietly(advisor.recommend, scenario).to_dict(True)["workloads"][0]["options"]
    (mini,) = [o for o in before if o["label"] == label]
    assert mini["basis"] == "published"
    out = other_user(tmp_path / "user-a", team, RECORD, label, API_QUANT, HOSTED_API_ID, "61.5")
    assert json.loads(out) == [f"{label}|{API_QUANT}|{HOSTED_API_ID}"]
    after = quietly(advisor.recommend, scenario).to_dict(True)["workloads"][0]["options"]
    (mini,) = [o for o in after if o["label"] == label]
    assert mini["basis"] == "measured"
    assert mini["est_tokens_per_s"] == pytest.approx(61.5)
    # RECORD keeps a 150 ms first token for a 600-token prompt: the support workload's prompt is no longer than the
    # class's base size, so the first token is the run's.
    assert mini["est_first_token_ms"] == pytest.approx(150.0)


def test_this_machine_measurements_are_kept_per_machine(team: str, tmp_path: Path) -> None:
    other_user(tmp_path / "user-a", team, RECORD, "smollm2-135m-instruct", "Q4_1", "this-machine", "95")
    measured = quietly(read_measurements)
    assert measured.for_pair("smollm2-135m-instruct", "Q4_1", "this-machine")["tokens_per_s"] == 95.0

    store = open_store(team)
    try:
        store.save_measurement(
            "gemma-3-270m", "Q8_0", "this-machine", {"tokens_per_s": 400.0}, machine="Another CPU, 96 cores, 768 GB"
        )
        rows = {(r.key, r.machine) for r in store.measurements()}
    finally:
        store.close()
    assert ("smollm2-135m-instruct|Q4_1|this-machine", machine_description()) in rows
    assert ("gemma-3-270m|Q8_0|this-machine", "Another CPU, 96 cores, 768 GB") in rows
    # Another machine's this-machine speed says nothing about this one.
    assert quietly(read_measurements).for_pair("gemma-3-270m", "Q8_0", "this-machine") == {}


def test_concurrent_users_saving_lose_nothing(team: str, tmp_path: Path) -> None:
    writers, per_writer = 4, 15
    code = """
import sys
from advisor.data.measurements import record_measurement
w = int(sys.argv[1])
for i in range(int(sys.argv[2])):
    record_measurement(f"model-{w}", "Q4_K_M", f"hw-{i}", w * 100 + i + 1)
    record_measurement("shared-model", "Q4_K_M", "shared-hw", w * 100 + i + 1)
"""
    env = {**os.environ, "ADVISOR_DB_URL": team}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(w), str(per_writer)],
            cwd=REPO,
            env={**env, "ADVISOR_HOME": str(tmp_path / f"user-{w}")},
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    for process in processes:
        _, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
    entries = quietly(read_measurements).entries
    assert len(entries) == writers * per_writer + 1
    for w in range(writers):
        for i in range(per_writer):
            assert entries[f"model-{w}|Q4_K_M|hw-{i}"]["tokens_per_s"] == w * 100 + i + 1
    store = open_store(team)
    try:
        assert store.measurement_revision() == 2 * writers * per_writer
    finally:
        store.close()


# ---- the data folder's measurements.json is imported once ---------------------------------------------------------


def write_json(home: Path, entries: dict[str, dict[str, float]]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "measurements.json"
    path.write_text(json.dumps(entries))
    return path


def test_an_existing_measurements_json_is_imported_once(team: str, tmp_path: Path) -> None:
    path = write_json(
        data_dir(),
        {
            "phi-4|FP8|l4": {"tokens_per_s": 33.0, "first_token_ms": 120.0, "prompt_tokens": 600.0},
            "gemma-3-270m|Q4_K_M|this-machine": {"tokens_per_s": 81.0},
        },
    )
    before = path.read_bytes()
    assert quietly(read_measurements).for_pair("phi-4", "FP8", "l4") == {
        "tokens_per_s": 33.0,
        "first_token_ms": 120.0,
        "prompt_tokens": 600.0,
    }
    assert path.read_bytes() == before  # the file is left as it is
    version = store_version()

    # Another user updates a pair the file also has; starting again with the same file changes nothing back.
    other_user(tmp_path / "user-a", team, RECORD, "phi-4", "FP8", "l4", "35")
    code = "from advisor.data.measurements import read_measurements; print(len(read_measurements()))"
    assert other_user(data_dir(), team, code).strip() == "2"
    assert quietly(read_measurements).for_pair("phi-4", "FP8", "l4")["tokens_per_s"] == 35.0
    assert store_version() != version

    store = open_store(team)
    try:
        sources = {r.key: r.source for r in store.measurements()}
        assert sources == {
            "phi-4|FP8|l4": "live run",
            "gemma-3-270m|Q4_K_M|this-machine": "imported from measurements.json",
        }
        revision = store.measurement_revision()
        # New content in the file: only the pairs the store does not hold are added, the store's figures win.
        write_json(data_dir(), {"phi-4|FP8|l4": {"tokens_per_s": 1.0}, "qwen3-8b|Q8_0|l4": {"tokens_per_s": 50.0}})
        assert other_user(data_dir(), team, code).strip() == "3"
        assert store.measurement_revision() == revision + 1
        figures = {r.key: r.tokens_per_s for r in store.measurements()}
        assert figures["phi-4|FP8|l4"] == 35.0 and figures["qwen3-8b|Q8_0|l4"] == 50.0
    finally:
        store.close()


def test_users_starting_at_once_import_the_same_file_once(team: str) -> None:
    write_json(data_dir(), {f"model-{i}|Q4_K_M|l4": {"tokens_per_s": float(i + 1)} for i in range(20)})
    code = "from advisor.data.measurements import read_measurements; print(len(read_measurements()))"
    env = {**os.environ, "ADVISOR_DB_URL": team, "ADVISOR_HOME": str(data_dir())}
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    assert [p.communicate(timeout=240)[0].strip() for p in processes] == ["20"] * 3
    store = open_store(team)
    try:
        assert store.measurement_revision() == 1  # one import added the 20 pairs; the others found it done
        assert len(store.measurements()) == 20
    finally:
        store.close()


# ---- listing and export --------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_and_exports_the_team_measurements(
    team: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "store", "measurements")
    assert code == 0 and out.startswith("(no measurements in team store ")
    record_measurement("phi-4", "fp8", "l4", 33.0, first_token_ms=120.0, prompt_tokens=600)
    record_measurement("smollm2-135m-instruct", "Q4_1", "this-machine", 95.0)

    code, out, _ = run(capsys, "store", "measurements")
    lines = out.splitlines()
    assert lines[0].startswith("measurements in team store ")
    assert lines[1].split()[:4] == ["model", "quant", "hardware", "tokens_per_s"]
    assert lines[3].split()[:4] == ["phi-4", "FP8", "l4", "33.00"] and "live run" in lines[3]
    assert machine_description() in lines[4]
    code, out, _ = run(capsys, "store", "measurements", "--format", "json")
    rows = json.loads(out)
    assert [(r["model"], r["machine"]) for r in rows] == [
        ("phi-4", None),
        ("smollm2-135m-instruct", machine_description()),
    ]

    exported = tmp_path / "team-measurements.json"
    code, _, err = run(capsys, "store", "export-measurements", "-o", str(exported))
    assert code == 0 and "wrote 2 measurements" in err
    # The export is a measurements.json: with no team store, a user who puts it in place has the same figures.
    monkeypatch.delenv("ADVISOR_DB_URL")
    home = tmp_path / "offline-user"
    home.mkdir()
    (home / "measurements.json").write_bytes(exported.read_bytes())
    monkeypatch.setenv("ADVISOR_HOME", str(home))
    offline = quietly(read_measurements)
    assert offline.for_pair("phi-4", "FP8", "l4") == {
        "tokens_per_s": 33.0,
        "first_token_ms": 120.0,
        "prompt_tokens": 600.0,
    }
    assert offline.for_pair("smollm2-135m-instruct", "Q4_1", "this-machine") == {"tokens_per_s": 95.0}
    code, out, _ = run(capsys, "store", "measurements")
    assert out.startswith(f"measurements in {home / 'measurements.json'}")


# ---- an unreachable store -----------------------------------------------------------------------------------------


def test_an_unreachable_team_store_is_one_line_and_estimates_stand_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.app_server import free_port

    url = f"postgresql://sales:s3cret-pw@127.0.0.1:{free_port()}/rightsize"
    monkeypatch.setenv("ADVISOR_DB_URL", url)
    with pytest.warns(UserWarning, match="estimates stand in") as caught:
        measured = read_measurements()
    assert len(measured) == 0
    assert all("s3cret-pw" not in str(w.message) for w in caught)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert advisor.estimate_fit("phi-4", "l4", "FP8").basis == "estimated"
    assert time.perf_counter() - started < 2  # not a connection attempt per estimate
    with pytest.raises(StoreError) as error:
        record_measurement("phi-4", "FP8", "l4", 33.0)
    assert "cannot connect" in str(error.value) and "s3cret-pw" not in str(error.value)
    assert "\n" not in str(error.value)
    code, _, err = run(capsys, "store", "measurements")
    assert (
        code == 2 and err.startswith("advisor: error: scenario store postgresql://sales:***@") and "s3cret" not in err
    )
    assert len(err.splitlines()) == 1


# ---- the schema -----------------------------------------------------------------------------------------------------


def test_a_store_from_before_measurements_is_upgraded_and_keeps_its_scenarios(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from advisor.data.examples import default_scenario
    from advisor.data.store.core import HEAD_REVISION, MIGRATIONS

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_scenarios")
    engine.dispose()
    old = ScenarioStore(f"sqlite:///{path}")
    assert old.revision() == "0001_scenarios"
    old.close()

    store = open_store(f"sqlite:///{path}")  # upgrades
    try:
        assert store.revision() == HEAD_REVISION
        saved = store.save(default_scenario())
        assert store.measurements() == [] and store.measurement_revision() == 0
        store.save_measurement("phi-4", "FP8", "l4", {"tokens_per_s": 30.0})
        assert store.measurement_revision() == 1 and store.open(saved.id).version == 1
    finally:
        store.close()
