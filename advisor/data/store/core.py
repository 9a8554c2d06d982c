"""The scenario store: named scenarios with every saved version, in SQLite (default) or any SQLAlchemy database.

Where: `ADVISOR_DB_URL` (any SQLAlchemy URL; `postgresql://` means psycopg 3), else `scenarios.db` in the
advisor's data directory ($ADVISOR_HOME, default ~/.cache/rightsize). Opening a store brings its schema up to date
with the Alembic migrations shipped in this package.

Never loses a scenario: saving again under a name adds a version and keeps the others; every write is one
transaction (SQLite: WAL, `BEGIN IMMEDIATE` and a busy timeout; PostgreSQL: row locks and a retry when two first
saves of one name race). A damaged or locked SQLite file is reported in one line and left exactly as it is.
A password in the URL never appears in a message: the URL is shown with `***` in its place.
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.data.store.diff import VersionDiff, diff_versions
from advisor.data.store.links import ID_PATTERN, new_id
from advisor.data.store.measured import MeasurementImport, SharedMeasurement
from advisor.errors import AdvisorError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from advisor.data.store.models import MeasurementState, StoredMeasurementRow, StoredScenario
    from advisor.schema.scenario import Scenario

DB_URL_ENV = "ADVISOR_DB_URL"
DB_FILE = "scenarios.db"
DEFAULT_TIMEOUT_S = 10.0
"""How long a write waits for another writer before the store reports itself locked."""
WRITE_ATTEMPTS = 8
"""Two first saves of one new name race on PostgreSQL: the loser retries and becomes version 2."""
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD_REVISION = "0002_measurements"
"""The newest migration; a test checks it is Alembic's head. A store at this revision opens without Alembic."""
VERSION_TABLE = "rightsize_alembic_version"
TABLE_PREFIX = "rightsize_"
MAX_NAME_CHARS = 200


class StoreError(AdvisorError):
    """The store cannot be opened, read or written; the message says which store and what to do."""


class StoreBusyError(StoreError):
    """A SQLite store stayed locked by another program (or another connection) past the store's timeout."""


class ScenarioNotFoundError(StoreError, LookupError):
    """No saved scenario has that name or id (or no such version)."""


@dataclass(frozen=True)
class SavedScenario:
    """A row of the list: a saved scenario's current state."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    versions: int
    total_monthly_cost_usd: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "versions": self.versions,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "total_monthly_cost_usd": self.total_monthly_cost_usd,
        }


@dataclass(frozen=True)
class VersionInfo:
    """One entry of a scenario's history."""

    version: int
    saved_at: datetime
    total_monthly_cost_usd: float | None
    current: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "saved_at": self.saved_at.isoformat(),
            "total_monthly_cost_usd": self.total_monthly_cost_usd,
            "current": self.current,
        }


@dataclass(frozen=True)
class SavedVersion:
    """One version of a saved scenario, as saved: the scenario file text and the recommendation JSON."""

    id: str
    name: str
    version: int
    latest_version: int
    saved_at: datetime
    scenario_text: str
    result_json: str | None

    @property
    def current(self) -> bool:
        return self.version == self.latest_version

    # Its scenario, checked against the catalog: advisor.data.scenarios.saved_scenario(version). The store sits
    # below the catalog (which reads the team's measurements from it), so it hands back the text, not a Scenario.

    @cached_property
    def result(self) -> dict[str, Any] | None:
        """The recommendation JSON saved with this version (docs/outputs.md), or None when none was saved."""
        return None if self.result_json is None else dict(json.loads(self.result_json))

    def to_dict(self) -> dict[str, Any]:
        import yaml

        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "latest_version": self.latest_version,
            "saved_at": self.saved_at.isoformat(),
            "scenario": yaml.safe_load(self.scenario_text),
            "result": self.result,
        }


# ---- where the store is ------------------------------------------------------------------------------------------


def store_url() -> str:
    """ADVISOR_DB_URL, or the SQLite file in the advisor's data directory."""
    import os

    from advisor.data.paths import data_dir

    configured = os.environ.get(DB_URL_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{data_dir() / DB_FILE}"


def redact_url(url: str) -> str:
    """The URL as it may be shown: its password replaced by ***; a URL that does not parse is not shown at all."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return f"({DB_URL_ENV}: not a database URL)"


def _password(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return None
    return str(password) if password else None


# ---- opening -----------------------------------------------------------------------------------------------------

_open_lock = threading.Lock()
_stores: dict[tuple[str, float], ScenarioStore] = {}
MAX_CACHED_STORES = 4


def default_store(timeout_s: float = DEFAULT_TIMEOUT_S) -> ScenarioStore:
    """The store at `store_url()`, opened once per process and URL (the app calls this on every rerun)."""
    key = (store_url(), timeout_s)
    with _open_lock:
        store = _stores.pop(key, None)
        if store is None:
            store = open_store(key[0], timeout_s=timeout_s)
        _stores[key] = store  # most recent last
        while len(_stores) > MAX_CACHED_STORES:
            _stores.pop(next(iter(_stores))).close()
    return store


def open_store(url: str | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> ScenarioStore:
    """Open (creating it when needed) the store at `url` (default `store_url()`) and migrate its schema.

    Several programs may open a new SQLite store at once (app servers starting, users' first saves): one creates
    it, and a connection that SQLite answers 'busy' while that happens tries again until `timeout_s` has passed."""
    store = ScenarioStore(url or store_url(), timeout_s)
    deadline = time.monotonic() + timeout_s
    pause_s = 0.02
    try:
        while True:
            try:
                store.migrate()
                return store
            except StoreBusyError:
                if time.monotonic() + pause_s > deadline:
                    raise
                time.sleep(pause_s)
                pause_s = min(pause_s * 2, 0.5)
    except BaseException:
        store.close()
        raise


class ScenarioStore:
    """Save, list, search, open, rename and delete named scenarios, with their history; and keep the live
    measurements a team shares (`save_measurement`, `measurements`). Safe to share between threads."""

    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._secret = _password(url)
        self.url_shown = redact_url(url)
        self.where = self.url_shown
        self._engine = self._create_engine(url)
        self._writer = self._engine.execution_options(advisor_write=True)

    # -- engine ---------------------------------------------------------------------------------------------------

    def _create_engine(self, url: str) -> Engine:
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            raise StoreError(
                f"{DB_URL_ENV}: not a database URL; expected e.g. postgresql://user@host/dbname or "
                "sqlite:////path/to/scenarios.db"
            ) from None
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.backend = parsed.get_backend_name()
        if self.backend == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise StoreError(
                    f"{DB_URL_ENV}: a SQLite store needs a file path, e.g. sqlite:////path/to/scenarios.db"
                )
            path = Path(database).expanduser()
            self.where = str(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"scenario store {path}: cannot create its folder ({e.strerror})") from None
            parsed = parsed.set(database=str(path))
        try:
            if self.backend == "sqlite":
                engine = create_engine(
                    parsed, connect_args={"timeout": self.timeout_s, "check_same_thread": False}, pool_size=8
                )
                event.listen(engine, "connect", _sqlite_connect)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                connect_args = (
                    {"connect_timeout": max(1, round(self.timeout_s))} if self.backend == "postgresql" else {}
                )
                engine = create_engine(parsed, pool_pre_ping=True, pool_size=8, connect_args=connect_args)
        except (NoSuchModuleError, ImportError) as e:
            del e
            raise StoreError(
                f"{DB_URL_ENV}: no installed database driver for {parsed.drivername!r} (supported: sqlite, "
                "postgresql with psycopg 3)"
            ) from None
        return engine

    def close(self) -> None:
        self._engine.dispose()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Database errors as one-line StoreErrors naming the store and what to do."""
        from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

        started = time.monotonic()
        try:
            yield
        except IntegrityError:
            raise  # a race the caller retries or explains
        except (SQLAlchemyError, sqlite3.Error) as e:
            original = e.orig if isinstance(e, DBAPIError) else e
            detail = self._scrub(str(original).strip().splitlines()[0] if str(original).strip() else type(e).__name__)
            lowered = detail.lower()
            if self.backend == "sqlite" and ("locked" in lowered or "busy" in lowered):
                waited_s = time.monotonic() - started
                raise StoreBusyError(
                    f"scenario store {self.where}: locked by another program (waited {waited_s:.1f} s of "
                    f"{self.timeout_s:g} s); nothing was changed, try again when it has finished"
                ) from None
            elif self.backend == "sqlite" and any(
                word in lowered for word in ("not a database", "malformed", "corrupt", "disk i/o")
            ):
                message = (
                    f"the file is damaged or is not a Rightsize store ({detail}); it was left as it is - move it "
                    f"aside or restore a copy, or set {DB_URL_ENV} to use another store"
                )
            elif self.backend == "sqlite" and "readonly" in lowered.replace("-", "").replace(" ", ""):
                message = f"the file is read-only ({detail}); nothing was changed"
            elif self.backend == "sqlite" and "unable to open" in lowered:
                message = f"cannot open the file ({detail}); check that its folder exists and is writable"
            elif (isinstance(e, DBAPIError) and e.connection_invalidated) or "connect" in lowered:
                message = f"cannot connect ({detail})"
            else:
                message = detail
            raise StoreError(f"scenario store {self.where}: {message}") from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    @contextlib.contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        from sqlalchemy.orm import Session

        bind = self._writer if write else self._engine
        with self._errors(), Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    # -- schema ---------------------------------------------------------------------------------------------------

    def revision(self) -> str | None:
        """The schema revision the database is at (None before the first migration)."""
        from sqlalchemy import inspect, text

        with self._errors(), self._engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            value = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
            return None if value is None else str(value)

    def migrate(self) -> None:
        """Bring the schema up to the newest migration (Alembic, on one locked connection)."""
        current = self.revision()
        if current == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config
        from alembic.util.exc import CommandError
        from sqlalchemy import text

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self._errors(), self._writer.connect() as connection, connection.begin():
                if self.backend == "postgresql":  # one process migrates; the others wait, then find it done
                    connection.execute(text("SELECT pg_advisory_xact_lock(7356001)"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except CommandError:
            raise StoreError(
                f"scenario store {self.where}: its schema is at revision {current!r}, which this version of "
                "Rightsize does not know (written by a newer version?); upgrade Rightsize to use it"
            ) from None

    # -- operations -----------------------------------------------------------------------------------------------

    def save(
        self, scenario: Scenario, *, name: str | None = None, result: Mapping[str, Any] | str | None = None
    ) -> SavedVersion:
        """Save `scenario` under `name` (default: its own name) with its recommendation JSON; a name already saved
        gets a new version and keeps the earlier ones."""
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        from advisor.data.store.models import StoredScenario, StoredVersion

        name = check_name(scenario.name if name is None else name)
        if scenario.name != name:
            scenario = scenario.model_copy(update={"name": name})
        text = scenario.to_yaml()
        result_json, total = _result_fields(result)
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self._session(write=True) as session:
                    now = _now()
                    row = session.scalars(
                        select(StoredScenario).where(StoredScenario.name == name).with_for_update()
                    ).first()
                    if row is None:
                        row = StoredScenario(id=new_id(), name=name, created_at=now, updated_at=now, latest_version=1)
                        session.add(row)
                        session.flush()
                    else:
                        row.latest_version += 1
                        row.updated_at = now
                    session.add(
                        StoredVersion(
                            scenario_id=row.id,
                            version=row.latest_version,
                            saved_at=now,
                            scenario_text=text,
                            result_json=result_json,
                            total_monthly_cost_usd=total,
                        )
                    )
                    saved = SavedVersion(row.id, name, row.latest_version, row.latest_version, now, text, result_json)
                return saved
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise StoreError(
                        f"scenario store {self.where}: could not save {name!r}: other saves of it kept getting in "
                        "first; nothing was changed, try again"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def list(self, search: str | None = None) -> builtins.list[SavedScenario]:
        """Every saved scenario, most recently saved first; `search` keeps those whose name or current scenario
        text contains it (case-insensitive)."""
        from sqlalchemy import and_, func, or_, select

        from advisor.data.store.models import StoredScenario, StoredVersion

        query = (
            select(StoredScenario, StoredVersion.total_monthly_cost_usd)
            .join(
                StoredVersion,
                and_(
                    StoredVersion.scenario_id == StoredScenario.id,
                    StoredVersion.version == StoredScenario.latest_version,
                ),
            )
            .order_by(StoredScenario.updated_at.desc(), StoredScenario.name)
        )
        needle = (search or "").strip().lower()
        if needle:
            pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    func.lower(StoredScenario.name).like(pattern, escape="\\"),
                    func.lower(StoredVersion.scenario_text).like(pattern, escape="\\"),
                )
            )
        with self._session() as session:
            return [
                SavedScenario(row.id, row.name, _utc(row.created_at), _utc(row.updated_at), row.latest_version, total)
                for row, total in session.execute(query).all()
            ]

    def search(self, text: str) -> builtins.list[SavedScenario]:
        return self.list(search=text)

    def get(self, ref: str) -> SavedScenario:
        """The saved scenario with this name or short id."""
        with self._session() as session:
            row = self._find(session, ref)
            latest = self._version_row(session, row, row.latest_version)
            return SavedScenario(
                row.id,
                row.name,
                _utc(row.created_at),
                _utc(row.updated_at),
                row.latest_version,
                latest.total_monthly_cost_usd,
            )

    def open(self, ref: str, version: int | None = None) -> SavedVersion:
        """A saved scenario by name or short id: its current version, or `version`."""
        with self._session() as session:
            row = self._find(session, ref)
            stored = self._version_row(session, row, row.latest_version if version is None else version)
            return SavedVersion(
                row.id,
                row.name,
                stored.version,
                row.latest_version,
                _utc(stored.saved_at),
                stored.scenario_text,
                stored.result_json,
            )

    def history(self, ref: str) -> builtins.list[VersionInfo]:
        """Every version of a saved scenario, newest first."""
        from sqlalchemy import select

        from advisor.data.store.models import StoredVersion

        with self._session() as session:
            row = self._find(session, ref)
            versions = session.execute(
                select(StoredVersion.version, StoredVersion.saved_at, StoredVersion.total_monthly_cost_usd)
                .where(StoredVersion.scenario_id == row.id)
                .order_by(StoredVersion.version.desc())
            ).all()
            return [
                VersionInfo(number, _utc(saved_at), total, number == row.latest_version)
                for number, saved_at, total in versions
            ]

    def rename(self, ref: str, new_name: str) -> SavedScenario:
        """Give a saved scenario another name; its id, link and history stay."""
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        from advisor.data.store.models import StoredScenario

        new_name = check_name(new_name)
        try:
            with self._session(write=True) as session:
                row = self._find(session, ref)
                if row.name != new_name:
                    taken = session.scalars(select(StoredScenario.id).where(StoredScenario.name == new_name)).first()
                    if taken is not None:
                        raise StoreError(
                            f"name: a saved scenario is already named {new_name!r}; pick another name or delete "
                            "that one first"
                        )
                    row.name = new_name
                scenario_id = row.id
        except IntegrityError:
            raise StoreError(f"name: a saved scenario is already named {new_name!r}; pick another name") from None
        return self.get(scenario_id)

    def delete(self, ref: str) -> SavedScenario:
        """Delete a saved scenario and all its versions; returns what was deleted."""
        from sqlalchemy import delete

        from advisor.data.store.models import StoredScenario, StoredVersion

        gone = self.get(ref)
        with self._session(write=True) as session:
            session.execute(delete(StoredVersion).where(StoredVersion.scenario_id == gone.id))
            session.execute(delete(StoredScenario).where(StoredScenario.id == gone.id))
        return gone

    def compare(self, ref: str, version: int, against: int | None = None) -> VersionDiff:
        """What changed from `version` to `against` (default: the current version): inputs and monthly totals."""
        import yaml

        old = self.open(ref, version)
        new = self.open(old.id, old.latest_version if against is None else against)
        return diff_versions(
            new.name,
            old.version,
            new.version,
            yaml.safe_load(old.scenario_text),
            yaml.safe_load(new.scenario_text),
            old.result,
            new.result,
        )

    # -- live measurements ----------------------------------------------------------------------------------------

    def save_measurement(
        self,
        model: str,
        quant: str,
        hardware: str,
        figures: Mapping[str, float],
        *,
        machine: str = "",
        measured_by: str | None = None,
        source: str = "live run",
    ) -> SharedMeasurement:
        """Keep what a live run measured for (model, quant, hardware) on `machine` (empty for a catalog profile),
        replacing that pair's earlier figures. `figures`: tokens_per_s, and first_token_ms / prompt_tokens when
        measured (advisor.data.measurements.record_measurement checks them)."""
        from advisor.data.store.models import StoredMeasurementRow

        quant = quant.upper()  # as pair keys spell it
        with self._measurement_write() as session:
            state = self._measurement_state(session)
            now = _now()
            row = session.get(StoredMeasurementRow, (model, quant, hardware, machine))
            if row is None:
                row = StoredMeasurementRow(model=model, quant=quant, hardware=hardware, machine=machine)
                session.add(row)
            row.tokens_per_s = float(figures["tokens_per_s"])
            row.first_token_ms = _optional_float(figures.get("first_token_ms"))
            row.prompt_tokens = _optional_float(figures.get("prompt_tokens")) if row.first_token_ms else None
            row.measured_at, row.measured_by, row.source = now, measured_by, source
            state.revision += 1
            return _shared(row)

    def measurements(self, machine: str | None = None) -> builtins.list[SharedMeasurement]:
        """The stored measurements, by model, quant, hardware and machine; with `machine`, those that machine uses:
        every catalog profile's and its own `this-machine` ones."""
        from sqlalchemy import or_, select

        from advisor.data.store.models import StoredMeasurementRow as Row

        query = select(Row).order_by(Row.model, Row.quant, Row.hardware, Row.machine)
        if machine is not None:
            query = query.where(or_(Row.machine == "", Row.machine == machine))
        with self._session() as session:
            return [_shared(row) for row in session.scalars(query)]

    def measurement_revision(self) -> int:
        """A counter that every change to the stored measurements adds one to (one small query)."""
        from sqlalchemy import text

        # One statement on a pooled connection, no ORM session: every default_catalog() call asks.
        with self._errors(), self._engine.connect() as connection:
            value = connection.execute(text(f"SELECT revision FROM {TABLE_PREFIX}measurement_state WHERE id = 1"))
            return int(value.scalar() or 0)

    def import_measurements(
        self,
        entries: Mapping[str, Mapping[str, float]],
        digest: str,
        machine_of: Callable[[str], str],
        *,
        measured_by: str | None = None,
        source: str = "imported from measurements.json",
    ) -> MeasurementImport:
        """Add the entries of a measurements.json (pair key -> figures, as read and checked by
        advisor.data.measurements) that the store does not hold yet, once per content: `digest` identifies the
        content, and the same content is never imported twice. `machine_of(hardware)` gives each pair's machine."""
        from advisor.data.store.models import StoredMeasurementImport as ImportRow
        from advisor.data.store.models import StoredMeasurementRow

        with self._measurement_write() as session:
            state = self._measurement_state(session)
            if session.get(ImportRow, digest) is not None:
                return MeasurementImport(len(entries), 0, already_imported=True)
            now, added = _now(), 0
            for key, figures in entries.items():
                model, quant, hardware = key.split("|")
                quant, machine = quant.upper(), machine_of(hardware)
                if session.get(StoredMeasurementRow, (model, quant, hardware, machine)) is not None:
                    continue  # the store's figures (perhaps a later run, perhaps another user's) win
                first = _optional_float(figures.get("first_token_ms"))
                session.add(
                    StoredMeasurementRow(
                        model=model,
                        quant=quant,
                        hardware=hardware,
                        machine=machine,
                        tokens_per_s=float(figures["tokens_per_s"]),
                        first_token_ms=first,
                        prompt_tokens=_optional_float(figures.get("prompt_tokens")) if first else None,
                        measured_at=now,
                        measured_by=measured_by,
                        source=source,
                    )
                )
                session.flush()  # one pair key in two spellings (quant case) must not be added twice
                added += 1
            session.add(ImportRow(digest=digest, imported_at=now, entries=len(entries), added=added))
            if added:
                state.revision += 1
            return MeasurementImport(len(entries), added, already_imported=False)

    @contextlib.contextmanager
    def _measurement_write(self) -> Iterator[Session]:
        from sqlalchemy.exc import IntegrityError

        try:
            with self._session(write=True) as session:
                yield session
        except IntegrityError:
            raise StoreError(
                f"scenario store {self.where}: another process changed the measurements at the same time; nothing "
                "was changed, try again"
            ) from None

    def _measurement_state(self, session: Session) -> MeasurementState:
        """The change counter's row, locked: measurement writers take turns (SQLite: the write lock already)."""
        from sqlalchemy import select

        from advisor.data.store.models import MeasurementState

        state = session.scalars(select(MeasurementState).where(MeasurementState.id == 1).with_for_update()).first()
        if state is None:  # removed by hand: start counting again
            state = MeasurementState(id=1, revision=0)
            session.add(state)
            session.flush()
        return state

    # -- lookups --------------------------------------------------------------------------------------------------

    def _find(self, session: Session, ref: str) -> StoredScenario:
        from sqlalchemy import select

        from advisor.data.store.models import StoredScenario

        ref = ref.strip() if isinstance(ref, str) else ""
        if not ref:
            raise ScenarioNotFoundError("scenario: give a saved scenario's name or id (`advisor store list`)")
        row = session.scalars(select(StoredScenario).where(StoredScenario.name == ref)).first()
        if row is None and ID_PATTERN.fullmatch(ref):
            row = session.get(StoredScenario, ref)
        if row is None:
            names = list(session.scalars(select(StoredScenario.name).limit(5000)))
            close = difflib.get_close_matches(ref, names, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else " (`advisor store list`)"
            shown = ref if len(ref) <= 60 else ref[:57] + "..."
            raise ScenarioNotFoundError(f"scenario: no saved scenario is named {shown!r} or has that id{hint}")
        return row

    def _version_row(self, session: Session, row: StoredScenario, version: int) -> Any:
        from advisor.data.store.models import StoredVersion

        stored = session.get(StoredVersion, (row.id, version))
        if stored is None:
            raise ScenarioNotFoundError(f"version: {row.name!r} has versions 1 to {row.latest_version}, got {version}")
        return stored


# ---- helpers -----------------------------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """A name to save under: 1 to 200 characters after trimming, no control or invisible characters."""
    from advisor.schema.base import printable_text

    if not isinstance(name, str):
        raise StoreError(f"name: must be text, got {type(name).__name__}")
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= MAX_NAME_CHARS:
        raise StoreError(f"name: must be 1 to {MAX_NAME_CHARS} characters, got {len(cleaned):,}")
    try:
        printable_text(cleaned)
    except ValueError as e:
        raise StoreError(f"name: {e}") from None
    return cleaned


def _result_fields(result: Mapping[str, Any] | str | None) -> tuple[str | None, float | None]:
    if result is None:
        return None, None
    try:
        data = json.loads(result) if isinstance(result, str) else dict(result)
        text = json.dumps(data, indent=2, allow_nan=False)
    except (ValueError, TypeError):
        raise StoreError("result: must be the recommendation JSON (docs/outputs.md)") from None
    if not isinstance(data, dict):
        raise StoreError("result: must be the recommendation JSON object (docs/outputs.md)")
    total = data.get("total_monthly_cost_usd")
    return text, float(total) if isinstance(total, int | float) and not isinstance(total, bool) else None


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _shared(row: StoredMeasurementRow) -> SharedMeasurement:
    return SharedMeasurement(
        row.model,
        row.quant,
        row.hardware,
        row.machine,
        row.tokens_per_s,
        row.first_token_ms,
        row.prompt_tokens,
        _utc(row.measured_at),
        row.measured_by,
        row.source,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; the store writes UTC only."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Transactions are begun by `_sqlite_begin`; WAL lets readers read while one writer writes."""
    del connection_record
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # Switching to WAL takes an exclusive lock; a store already in WAL (all but a new one) is left alone, so that
        # programs opening it together do not contend for that lock.
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Writers take the write lock when they begin (`BEGIN IMMEDIATE`), so two never deadlock half-way."""
    write = connection.get_execution_options().get("advisor_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
