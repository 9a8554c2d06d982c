"""The scenario store on a real SQLite file and a real PostgreSQL server: the same tests on both.

PostgreSQL is Debian's (`make system-deps`), started once for the session on 127.0.0.1; each test gets its own
database. A missing server fails the run with what to install: it is never skipped.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.data.examples import default_scenario, example_scenarios
from advisor.data.scenarios import saved_scenario
from advisor.data.store import (
    ScenarioNotFoundError,
    ScenarioStore,
    StoreBusyError,
    StoreError,
    check_id,
    default_store,
    open_store,
    public_base_url,
    short_link,
    store_url,
)
from advisor.data.store.core import HEAD_REVISION, MIGRATIONS, VERSION_TABLE
from advisor.data.store.links import LinkError
from advisor.engine.recommend import recommend
from advisor.schema.scenario import Scenario
from tests.postgres_server import PostgresError, create_database, running_postgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    server = running_postgres()
    try:
        url = server.__enter__()
    except PostgresError as e:
        pytest.fail(str(e))
    yield url
    server.__exit__(None, None, None)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'scenarios.db'}"
    server: str = request.getfixturevalue("postgres_server")
    return create_database(server, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(db_url: str) -> Iterator[ScenarioStore]:
    opened = open_store(db_url)
    yield opened
    opened.close()


def with_volume(scenario: Scenario, requests_per_day: float) -> Scenario:
    data = scenario.to_dict()
    data["workloads"][0]["requests_per_day"] = requests_per_day
    return Scenario.model_validate(data)


# ---- save, open, versions -----------------------------------------------------------------------------------------


def test_save_then_open_gives_back_the_scenario_and_its_recommendation(store: ScenarioStore) -> None:
    scenario = default_scenario()
    result = recommend(scenario).to_dict()
    saved = store.save(scenario, result=result)
    assert saved.version == 1 and saved.name == scenario.name
    opened = store.open(saved.id)
    assert saved_scenario(opened) == scenario
    assert opened.result == json.loads(json.dumps(result))
    assert store.open(scenario.name).id == saved.id  # by name too
    (listed,) = store.list()
    assert listed.total_monthly_cost_usd == pytest.approx(result["total_monthly_cost_usd"])
    assert listed.versions == 1 and listed.created_at.tzinfo is not None


def test_saving_again_keeps_every_version_and_any_opens(store: ScenarioStore) -> None:
    scenario = default_scenario()
    volumes = [1_000, 20_000, 500_000]
    for volume in volumes:
        changed = with_volume(scenario, volume)
        store.save(changed, result=recommend(changed).to_dict())
    history = store.history(scenario.name)
    assert [v.version for v in history] == [3, 2, 1]
    assert [v.current for v in history] == [True, False, False]
    for number, volume in enumerate(volumes, start=1):
        assert saved_scenario(store.open(scenario.name, number)).workloads[0].requests_per_day == volume
    assert store.open(scenario.name).version == 3
    with pytest.raises(ScenarioNotFoundError, match=r"^version: 'Shoe store AI' has versions 1 to 3, got 7$"):
        store.open(scenario.name, 7)


def test_saving_under_another_name_makes_another_scenario(store: ScenarioStore) -> None:
    scenario = default_scenario()
    first = store.save(scenario)
    other = store.save(scenario, name="  For ACME  ")
    assert other.id != first.id and other.name == "For ACME"
    assert saved_scenario(store.open("For ACME")).name == "For ACME"
    assert {s.name for s in store.list()} == {scenario.name, "For ACME"}


def test_compare_a_version_with_the_current_one(store: ScenarioStore) -> None:
    scenario = default_scenario()
    store.save(scenario, result=recommend(scenario).to_dict())
    bigger = with_volume(scenario, 2_000_000)
    store.save(bigger, result=recommend(bigger).to_dict())
    diff = store.compare(scenario.name, 1)
    assert (diff.old, diff.new) == (1, 2)
    workload = scenario.workloads[0].name
    volume = [c for c in diff.inputs if c.field == f"workloads[{workload}].requests_per_day"]
    assert [(c.before, c.after) for c in volume] == [(f"{scenario.workloads[0].requests_per_day:,.10g}", "2,000,000")]
    assert len(diff.inputs) == 1, diff.inputs
    old_total = recommend(scenario).total_monthly_cost_usd
    new_total = recommend(bigger).total_monthly_cost_usd
    (total,) = [c for c in diff.totals if c.field == "total per month"]
    assert total.before == f"${old_total:,.2f}"
    assert total.after is not None and total.after.startswith(f"${new_total:,.2f} (+$")
    text = diff.text()
    assert f"~ workloads[{workload}].requests_per_day:" in text and "total per month" in text
    assert store.compare(scenario.name, 2).inputs == []  # the current version against itself


# ---- list, search, rename, delete -----------------------------------------------------------------------------------


def test_list_and_search_by_name_or_scenario_text(store: ScenarioStore) -> None:
    examples = example_scenarios()
    for scenario in list(examples.values())[:4]:
        store.save(scenario)
    names = [s.name for s in store.list()]
    assert sorted(names) == sorted(s.name for s in list(examples.values())[:4])
    assert names[0] == list(examples.values())[3].name  # most recently saved first
    hospital = examples["hospital-records"]
    assert [s.name for s in store.search(hospital.name.upper()[3:12])] == [hospital.name]
    task = hospital.workloads[0].task
    assert hospital.name in [s.name for s in store.search(task)]  # the scenario text, not only the name
    assert store.search("100%_") == []  # LIKE wildcards are plain text
    store.save(default_scenario(), name="Growth 100%_plan")
    assert [s.name for s in store.search("100%_")] == ["Growth 100%_plan"]


def test_rename_keeps_the_id_link_and_history(store: ScenarioStore) -> None:
    scenario = default_scenario()
    first = store.save(scenario)
    store.save(with_volume(scenario, 5_000))
    store.save(scenario, name="Taken")
    renamed = store.rename(scenario.name, "Shoe store for ACME")
    assert renamed.id == first.id and renamed.versions == 2
    opened = store.open(first.id)
    assert opened.name == saved_scenario(opened).name == "Shoe store for ACME"
    assert [v.version for v in store.history(first.id)] == [2, 1]
    with pytest.raises(StoreError, match=r"^name: a saved scenario is already named 'Taken'"):
        store.rename(first.id, "Taken")
    with pytest.raises(ScenarioNotFoundError):
        store.open(scenario.name)  # the old name is gone


def test_delete_removes_one_scenario_with_its_versions(store: ScenarioStore) -> None:
    scenario = default_scenario()
    gone = store.save(scenario)
    store.save(scenario)
    kept = store.save(scenario, name="Keep me")
    assert store.delete(gone.id).name == scenario.name
    assert [s.name for s in store.list()] == ["Keep me"]
    with pytest.raises(ScenarioNotFoundError):
        store.open(gone.id)
    assert saved_scenario(store.open(kept.id)).name == "Keep me"
    store.save(scenario)  # the name is free again: a new scenario, version 1, another id
    assert store.open(scenario.name).version == 1 and store.open(scenario.name).id != gone.id


def test_unknown_names_and_bad_names_are_one_line_errors(store: ScenarioStore) -> None:
    store.save(default_scenario())
    with pytest.raises(ScenarioNotFoundError, match=r"did you mean 'Shoe store AI'\?$"):
        store.open("Shoe store A")
    with pytest.raises(ScenarioNotFoundError, match=r"^scenario: give a saved scenario's name or id"):
        store.open("  ")
    for name, message in [
        ("", r"^name: must be 1 to 200 characters, got 0$"),
        ("x" * 201, r"^name: must be 1 to 200 characters, got 201$"),
        ("bad\u202ename", r"^name: must not contain control or invisible characters \(found U\+202E\)$"),
    ]:
        with pytest.raises(StoreError, match=message):
            store.save(default_scenario(), name=name)
    with pytest.raises(StoreError, match=r"^result: must be the recommendation JSON"):
        store.save(default_scenario(), result="{not json")
    assert len(store.list()) == 1


def test_short_ids_are_long_random_and_url_safe(store: ScenarioStore) -> None:
    ids = {store.save(default_scenario(), name=f"s{i}").id for i in range(20)}
    assert len(ids) == 20
    assert all(len(i) >= 12 and check_id(i) == i for i in ids)
    assert all(set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for i in ids)


# ---- concurrency ---------------------------------------------------------------------------------------------------


def test_eight_threads_saving_at_once_lose_nothing(store: ScenarioStore) -> None:
    scenario = default_scenario()
    threads, saves = 8, 5
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(index: int) -> None:
        try:
            barrier.wait()
            for turn in range(saves):
                volume = 1_000 + index * 100 + turn
                store.save(with_volume(scenario, volume), name="shared")  # one name: versions race
                store.save(with_volume(scenario, volume), name=f"own-{index}")  # a first save races too
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    history = store.history("shared")
    assert sorted(v.version for v in history) == list(range(1, threads * saves + 1))
    volumes = {saved_scenario(store.open("shared", v.version)).workloads[0].requests_per_day for v in history}
    assert volumes == {1_000 + i * 100 + t for i in range(threads) for t in range(saves)}
    for index in range(threads):
        assert [v.version for v in store.history(f"own-{index}")] == list(range(saves, 0, -1))


# ---- schema -------------------------------------------------------------------------------------------------------


def test_migrations_build_exactly_the_models_and_head_is_known(store: ScenarioStore, db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from advisor.data.store.models import Base

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]
    assert store.revision() == HEAD_REVISION
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()
    open_store(db_url).close()  # opening again at head migrates nothing and keeps the data
    assert store.revision() == HEAD_REVISION


# ---- where the store is, and what goes wrong ------------------------------------------------------------------------


def test_default_store_is_a_sqlite_file_in_the_data_dir(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADVISOR_DB_URL", raising=False)
    assert store_url() == f"sqlite:///{isolated_home / 'scenarios.db'}"
    saved = default_store().save(default_scenario())
    assert (isolated_home / "scenarios.db").is_file()
    assert default_store() is default_store()
    assert default_store().open(saved.id).version == 1


def test_db_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "team.db"
    monkeypatch.setenv("ADVISOR_DB_URL", f"sqlite:///{target}")
    default_store().save(default_scenario())
    assert target.is_file()


def save_some(path: Path) -> list[str]:
    store = open_store(f"sqlite:///{path}")
    ids = [store.save(default_scenario(), name=f"kept {i}").id for i in range(3)]
    store.close()
    return ids


def test_a_corrupt_sqlite_file_is_one_line_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.db"
    save_some(path)
    damaged = bytearray(path.read_bytes())
    damaged[0:16] = b"not a database!!"  # the header
    path.write_bytes(bytes(damaged))
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{path}")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"scenario store {path}: the file is damaged or is not a Rightsize store")
    assert "it was left as it is" in message
    assert path.read_bytes() == bytes(damaged)  # nothing rewrote, truncated or replaced it


def test_damaged_pages_are_one_line_and_the_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.db"
    save_some(path)
    damaged = bytearray(path.read_bytes())
    assert len(damaged) > 8192
    damaged[4096:] = secrets.token_bytes(len(damaged) - 4096)  # every page after the first
    path.write_bytes(bytes(damaged))
    with pytest.raises(StoreError, match=r"the file is damaged") as caught:
        store = open_store(f"sqlite:///{path}")
        store.list()
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == bytes(damaged)


def test_a_locked_sqlite_file_is_one_line_and_drops_nothing(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.db"
    ids = save_some(path)
    store = open_store(f"sqlite:///{path}", timeout_s=0.5)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        with pytest.raises(StoreBusyError) as caught:
            store.save(default_scenario(), name="while locked")
        message = str(caught.value)
        waited = re.fullmatch(
            rf"scenario store {re.escape(str(path))}: locked by another program \(waited (\d+\.\d) s of 0\.5 s\); "
            r"nothing was changed, try again when it has finished",
            message,
        )
        assert waited is not None, message
        assert float(waited.group(1)) >= 0.4  # SQLite waited for the lock before giving up
        assert sorted(s.id for s in store.list()) == sorted(ids)  # reading still works (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.save(default_scenario(), name="after the lock")
    assert {s.name for s in store.list()} == {"kept 0", "kept 1", "kept 2", "after the lock"}
    store.close()


def test_a_store_another_program_is_writing_in_rollback_mode_opens_once_it_is_done(tmp_path: Path) -> None:
    # A database not yet in WAL mode (a new one, or one another program made) while that program writes: SQLite
    # refuses the switch to WAL at once ('database is locked', without waiting), so opening waits and tries again.
    path = tmp_path / "scenarios.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE their_table (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO their_table VALUES (1)")
    release = threading.Timer(0.6, lambda: (other.execute("COMMIT"), other.close()))
    release.start()
    started = time.monotonic()
    try:
        store = open_store(f"sqlite:///{path}", timeout_s=5)
    finally:
        release.join()
    try:
        assert time.monotonic() - started >= 0.5  # it waited for the other program, then created its tables
        assert store.revision() == HEAD_REVISION
        assert store.list() == []
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(path)) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert check.execute("SELECT x FROM their_table").fetchall() == [(1,)]


def test_a_password_in_the_db_url_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.app_server import free_port

    port = free_port()  # nothing listens there
    url = f"postgresql://sales:s3cr3t-pw@127.0.0.1:{port}/rightsize"
    with pytest.raises(StoreError) as caught:
        open_store(url, timeout_s=2)
    message = str(caught.value)
    assert "s3cr3t-pw" not in message and "\n" not in message
    assert message.startswith(f"scenario store postgresql://sales:***@127.0.0.1:{port}/rightsize: cannot ")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", r"^ADVISOR_DB_URL: not a database URL; expected e\.g\. postgresql://"),
        ("mysql://u:pw@host/db", r"^ADVISOR_DB_URL: no installed database driver for 'mysql'"),
        ("sqlite://", r"^ADVISOR_DB_URL: a SQLite store needs a file path"),
    ],
)
def test_bad_db_urls_say_what_is_expected(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        open_store(url)
    assert "pw" not in str(caught.value)


# ---- links ---------------------------------------------------------------------------------------------------------


def test_public_address_of_links(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("ADVISOR_PUBLIC_URL", "STREAMLIT_BROWSER_SERVER_ADDRESS", "STREAMLIT_BROWSER_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert public_base_url() == "http://localhost:8501"
    assert public_base_url("http://10.0.0.5:8501/costs?scenario=x") == "http://10.0.0.5:8501/costs"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text('[browser]\nserverAddress = "advisor.example.com"\n'
                                                         "serverPort = 443\n")  # fmt: skip
    assert public_base_url() == "https://advisor.example.com"
    monkeypatch.setenv("STREAMLIT_BROWSER_SERVER_PORT", "8080")
    assert public_base_url() == "http://advisor.example.com:8080"
    monkeypatch.setenv("ADVISOR_PUBLIC_URL", "https://rightsize.example.com/tools/")
    assert public_base_url() == "https://rightsize.example.com/tools"
    assert short_link("AbCdEfGhIjKl") == "https://rightsize.example.com/tools/recommendation?s=AbCdEfGhIjKl"
    for bad in ("ftp://x", "https://user:pw@host", "https://host/?a=1", "localhost:8501", "https://"):
        monkeypatch.setenv("ADVISOR_PUBLIC_URL", bad)
        with pytest.raises(LinkError, match=r"^ADVISOR_PUBLIC_URL: must be an http:// or https:// address") as e:
            public_base_url()
        assert "pw" not in str(e.value)


@pytest.mark.parametrize("value", ["", "short", "x" * 33, "abc def ghij", "<script>alert(1)</script>", "../../etc"])
def test_short_ids_that_cannot_be_ids_are_refused(value: str) -> None:
    with pytest.raises(LinkError, match=r"^short link: 's' must be a saved scenario's id"):
        check_id(value)


def test_short_ids_never_start_like_a_command_line_option() -> None:
    from advisor.data.store.links import ID_PATTERN, new_id

    ids = [new_id() for _ in range(2000)]
    assert all(ID_PATTERN.fullmatch(i) and i[0].isalnum() and i[-1].isalnum() for i in ids)
    assert len(set(ids)) == len(ids)
