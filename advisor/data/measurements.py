"""Measured speeds for (model, quant, hardware): once a live run has measured a pair, estimates use it.

Stored as JSON under the advisor's data directory ($ADVISOR_HOME, default ~/.cache/rightsize), or, when a team store
is configured (`ADVISOR_DB_URL`), in that store's `rightsize_measurements` table so that a team shares them (see
"The team store" below). Either is read into an immutable `Measurements` that the catalog snapshot carries; the
engine never reads the file or the database itself.

The store never loses data: writers take a lock file next to it and replace it whole (a temporary file, fsync,
rename), so concurrent writers never drop each other's entries and a reader never sees half a file. An entry that
does not validate, or a whole file that does not, is skipped with a warning naming the file and the key; the next
write keeps the old file aside as `measurements.json.damaged-<time>` (never overwritten, never deleted).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import getpass
import hashlib
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from advisor.data.paths import data_dir
from advisor.errors import AdvisorError
from advisor.schema.base import Record

if TYPE_CHECKING:
    from advisor.data.store import ScenarioStore

MEASURED_FIGURES = ("tokens_per_s", "first_token_ms", "prompt_tokens")

MAX_STORE_BYTES = 16_000_000
"""About 100,000 pairs. The advisor writes nothing larger, so a larger file is not one it wrote; reading stops there."""

MAX_KEY_CHARS = 300
"""Catalog ids are short; a longer pair key is not one the advisor wrote."""

LOCK_TIMEOUT_S = 60.0
"""A write holds the lock for milliseconds; a lock held this long belongs to a process that is stuck."""

DB_URL_ENV = "ADVISOR_DB_URL"
"""Set, the measurements live in that store (advisor.data.store), shared by everyone who uses it."""

STORE_RETRY_S = 30.0
"""A team store that could not be reached is not tried again for this long by readers (estimates stand in), so an
unreachable server does not cost every recommendation a connection time-out."""

THIS_MACHINE_ID = "this-machine"
"""The hardware id of the machine the advisor runs on (advisor.data.catalog.THIS_MACHINE): in a team store its
measurements are kept per machine."""

HOSTED_API_ID = "hosted-api"
"""The `hardware` of an API model's measurement: the provider's servers, seen from where the run was made. Its
`model` is the API option's label (`provider/model`, with a reasoning variant's name in brackets) and its `quant`
is `API_QUANT`."""

API_QUANT = "API"


def api_measured(measurements: Measurements, label: str) -> dict[str, float]:
    """What live runs measured for the API option `label` (first token, output speed, prompt length), or {}."""
    return measurements.for_pair(label, API_QUANT, HOSTED_API_ID)


class StoredMeasurement(Record):
    """One entry of the store: what a live run measured for a (model, quant, hardware) pair."""

    tokens_per_s: float = Field(gt=0, le=1e6, description="Decode speed of one request, tokens per second.")
    first_token_ms: float | None = Field(default=None, gt=0, le=1e7, description="Time to the first token, ms.")
    prompt_tokens: float | None = Field(
        default=None, ge=1, le=1e8, description="Length of the prompt whose first token took first_token_ms."
    )


class MeasurementStoreWarning(UserWarning):
    """The store, or an entry of it, could not be used; estimates stand in for what it held."""


def _store_path() -> Path:
    return data_dir() / "measurements.json"


def pair_key(model: str, quant: str, hardware: str) -> str:
    return f"{model}|{quant.upper()}|{hardware}"


@dataclass(frozen=True)
class Measurements:
    """Measured figures by pair key (`model|QUANT|hardware`), read-only."""

    entries: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))

    def for_pair(self, model: str, quant: str, hardware: str) -> dict[str, float]:
        """Measured `tokens_per_s` / `first_token_ms` / `prompt_tokens` for the pair, or {} when not measured."""
        return dict(self.entries.get(pair_key(model, quant, hardware), {}))

    def other_quant(self, model: str, quant: str, hardware: str) -> str | None:
        """Another quantisation of the same model measured on the same hardware, if any."""
        prefix, suffix = f"{model}|", f"|{hardware}"
        others = [
            key.removeprefix(prefix).removesuffix(suffix)
            for key in self.entries
            if key.startswith(prefix) and key.endswith(suffix) and key != pair_key(model, quant, hardware)
        ]
        return others[-1] if others else None

    def __len__(self) -> int:
        return len(self.entries)


# --- reading -------------------------------------------------------------------------------------------------------


@dataclass
class _Store:
    """What reading the store found: its valid entries, and whether the next write must keep the file aside."""

    entries: dict[str, dict[str, float]] = field(default_factory=dict)
    damaged: str | None = None  # why the file as a whole is unusable
    skipped: dict[str, str] = field(default_factory=dict)  # why each entry that did not validate was skipped
    unreadable: str | None = None  # the file is there but cannot be read: not damage, so no write may replace it


class _Object(dict[str, Any]):
    """A JSON object with the keys that appeared in it more than once (plain JSON lets the last one win)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.duplicates: set[str] = set()
        for key, value in pairs:
            if key in self:
                self.duplicates.add(key)
            self[key] = value


def _parse_int(digits: str) -> int | float:
    # int() refuses more than 4,300 digits (a ValueError that used to fail the whole file); as a float such a
    # number is infinite, and refused with its entry like any other out-of-range figure.
    return int(digits) if len(digits) <= 20 else float(digits)


def _key_problem(key: str) -> str | None:
    """Why `key` is not a pair key as `pair_key` writes it (`model|QUANT|hardware`), or None."""
    if len(key) > MAX_KEY_CHARS:
        return f"a key longer than {MAX_KEY_CHARS} characters"
    if not key.isprintable():
        return "a key with control characters"
    parts = key.split("|")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        return "a key not of the form model|QUANT|hardware"
    return None


def _kind(value: Any) -> str:
    """What a JSON value is, in a message's words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else "null"


def _why(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in error.errors()[:3])


def _shown(key: str) -> str:
    """A key as a message shows it: quoted, control characters escaped, a long one cut short."""
    text = repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


def _parse_store(raw: bytes) -> _Store:
    """The store's valid entries, and what was wrong with the rest (the file, or entries by key)."""
    if not raw.strip():
        return _Store(damaged="an empty file")
    if len(raw) > MAX_STORE_BYTES:
        return _Store(damaged=f"over {MAX_STORE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")  # -sig: a byte-order mark from an editor is not damage
    except UnicodeDecodeError as e:
        return _Store(damaged=f"not UTF-8 text (byte {e.start})")
    # Not advisor.schema.reader.parse_yaml: there one bad number fails the whole file, and here one bad entry
    # must not cost the others.
    try:
        data = json.loads(text, object_pairs_hook=_Object, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        return _Store(damaged=f"line {e.lineno}, column {e.colno}: JSON syntax error: {e.msg}")
    except (ValueError, RecursionError) as e:
        return _Store(damaged=f"not JSON the advisor can read: {type(e).__name__}")
    if not isinstance(data, _Object):
        return _Store(damaged=f"{_kind(data)} where an object of measurements by pair key is expected")
    store = _Store()
    for key, value in data.items():
        problem = _key_problem(key)
        if problem is None and key in data.duplicates:
            problem = "a key that appears more than once"
        if problem is None and not isinstance(value, _Object):
            problem = f"{_kind(value)} where an object with tokens_per_s is expected"
        if problem is None and isinstance(value, _Object) and value.duplicates:
            problem = f"{', '.join(sorted(value.duplicates))}: appears more than once"
        if problem is None:
            try:
                # strict: the advisor writes numbers, so "12.5" or true is not one of its entries.
                entry = StoredMeasurement.model_validate(value, strict=True)
            except ValidationError as e:
                problem = _why(e)
            else:
                store.entries[key] = {name: float(v) for name, v in entry.model_dump().items() if v is not None}
                continue
        store.skipped[key] = problem
    return store


_reported: set[tuple[object, ...]] = set()  # (file identity, key): each problem is reported once per process


def _warn_once(identity: tuple[object, ...], message: str) -> None:
    if identity in _reported:
        return
    _reported.add(identity)
    warnings.warn(message, MeasurementStoreWarning, stacklevel=4)


def _load(path: Path, report: bool) -> _Store:
    """Read the store at `path`; with `report`, warn (once per file and key) about what cannot be used."""
    try:
        with path.open("rb") as file:
            stat = os.fstat(file.fileno())
            raw = file.read(MAX_STORE_BYTES + 1)
    except FileNotFoundError:
        return _Store()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        if report:
            _warn_once(
                (str(path), "unreadable", reason),
                f"{path}: cannot read the measurement store ({reason}); estimates stand in for it",
            )
        return _Store(unreadable=reason)
    store = _parse_store(raw)
    if not report:
        return store
    # A write makes a new file, so this changes with every write (the same damage is not reported again).
    identity = (str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    aside = f"{path.name}.damaged-<time>"
    if store.damaged:
        _warn_once(
            (*identity, None),
            f"{path}: damaged measurement store ({store.damaged}); ignoring it. The next measurement stored "
            f"keeps it aside as {aside} and starts a fresh store",
        )
    for key, problem in store.skipped.items():
        _warn_once(
            (*identity, key),
            f"{path}: measurement {_shown(key)} skipped ({problem}); the next measurement "
            f"stored keeps this file aside as {aside} and keeps only the valid entries",
        )
    return store


def read_measurements() -> Measurements:
    """The measurements stored so far: empty when none; a damaged store or entry is skipped with a warning.

    With a team store configured (ADVISOR_DB_URL), those in the store that this machine uses; a store that cannot be
    reached is reported in a warning, and estimates stand in."""
    if team_store_configured():
        return _read_team_store()
    # No lock: writers replace the file whole, so whatever a reader opens is a complete store.
    store = _load(_store_path(), report=True)
    return Measurements(MappingProxyType({k: MappingProxyType(v) for k, v in store.entries.items()}))


_write_count = itertools.count(1)
_writes_here = 0


def store_version() -> tuple[str, float]:
    """Changes whenever a measurement is stored, here or by another process (or user of a team store): caches of
    estimates key on it."""
    if team_store_configured():
        return _team_store_version()
    path = _store_path()
    try:
        stat = path.stat()
    except OSError:
        return (f"{path}|{_writes_here}", 0.0)
    # Every write is a new file (a rename): its inode, size and mtime tell writes apart; this process's count of
    # its own writes covers two within one clock tick that happen to match.
    return (f"{path}|{stat.st_ino}|{stat.st_size}|{_writes_here}", float(stat.st_mtime_ns))


# --- writing -------------------------------------------------------------------------------------------------------

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # byte 0 of the lock file; closing the file releases it
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EDEADLK):  # held by another process
                return False
            raise
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the store's lock: a separate file, never replaced or deleted, so every writer locks the same one."""
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # Polled rather than blocking, so that a stuck holder ends in an error rather than a hang.
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise AdvisorError(
                    f"{lock_path}: another process has held the measurement store's lock for over "
                    f"{LOCK_TIMEOUT_S:.0f} s; try again once it has finished"
                )
            time.sleep(random.uniform(0.001, 0.01))
        yield
    finally:
        os.close(fd)  # releases the lock


def _keep_aside(path: Path) -> Path:
    """Give the store's current bytes a second name, `<store>.damaged-<time>`, that nothing overwrites."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in itertools.count():
        aside = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n else ""))
        try:
            # A hard link: the store keeps its name until the new one replaces it, so readers never miss it.
            os.link(path, aside)
        except FileExistsError:
            continue
        except OSError:  # no hard links on this file system: copy instead
            try:
                with path.open("rb") as source, aside.open("xb") as copy:
                    try:
                        shutil.copyfileobj(source, copy)
                        copy.flush()
                        os.fsync(copy.fileno())
                    except BaseException:
                        aside.unlink()  # our own half copy; the original is still in place
                        raise
            except FileExistsError:
                continue
        return aside
    raise AssertionError("unreachable")


def _replace(path: Path, text: str) -> None:
    """Replace the store whole: a temporary file in the same folder, fsync, then a rename readers see at once."""
    try:
        mode: int | None = path.stat().st_mode & 0o777  # keep the store's permissions
    except OSError:
        mode = None  # a new store: mkstemp's owner-only 0600
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable; not every system can fsync a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _checked_key(model: str, quant: str, hardware: str) -> str:
    """The pair key, refused when reading the store back would skip it."""
    for name, part in (("model", model), ("quant", quant), ("hardware", hardware)):
        if not part.strip():
            raise AdvisorError(f"{name}: must not be empty, got {part!r}")
        if "|" in part or not part.isprintable():
            raise AdvisorError(f"{name}: must have no '|' and no control characters, got {_shown(part)}")
    key = pair_key(model, quant, hardware)
    if len(key) > MAX_KEY_CHARS:
        raise AdvisorError(f"model|QUANT|hardware: must be at most {MAX_KEY_CHARS} characters, got {len(key)}")
    return key


def record_measurement(
    model: str,
    quant: str,
    hardware: str,
    tokens_per_s: float,
    first_token_ms: float | None = None,
    prompt_tokens: int | None = None,
) -> None:
    """Store a measured run; later estimates for the same pair say 'measured'. It goes to measurements.json, or to
    the team store when ADVISOR_DB_URL is set (there every user of the store sees it at their next estimate).

    `prompt_tokens` is the length of the prompt whose first token took `first_token_ms`; with it, estimates carry
    the measurement to other prompt lengths (advisor.engine.fit.Deployment.measured_first_token_s).
    """
    global _writes_here
    if not tokens_per_s > 0:
        raise AdvisorError(f"tokens_per_s: must be > 0, got {tokens_per_s}")
    if first_token_ms is not None and not first_token_ms > 0:
        raise AdvisorError(f"first_token_ms: must be > 0, got {first_token_ms}")
    if prompt_tokens is not None and prompt_tokens < 1:
        raise AdvisorError(f"prompt_tokens: must be >= 1, got {prompt_tokens}")
    key = _checked_key(model, quant, hardware)
    entry: dict[str, float] = {"tokens_per_s": float(tokens_per_s)}
    if first_token_ms is not None:
        entry["first_token_ms"] = float(first_token_ms)
        if prompt_tokens is not None:
            entry["prompt_tokens"] = float(prompt_tokens)
    try:
        StoredMeasurement.model_validate(entry, strict=True)  # what reading it back would refuse (inf, 1e9)
    except ValidationError as e:
        raise AdvisorError(_why(e)) from None
    if team_store_configured():
        _team_store(retry=True).save_measurement(
            model, quant, hardware, entry, machine=machine_of(hardware), measured_by=_user()
        )
        return

    path = _store_path()
    if path.is_symlink():  # a store linked from elsewhere stays linked: write to its target
        path = Path(os.path.realpath(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            # Read under the lock: no other writer can replace the file between this read and the write below.
            store = _load(path, report=False)
            if store.unreadable:
                raise AdvisorError(
                    f"{path}: cannot read the measurement store ({store.unreadable}); it is left as it is and "
                    "this measurement is not stored"
                )
            entries = {**store.entries, key: entry}
            text = json.dumps(entries, indent=2, sort_keys=True, allow_nan=False)
            if len(text.encode("utf-8")) > MAX_STORE_BYTES:
                raise AdvisorError(
                    f"{path}: the measurement store is full ({len(entries):,} pairs); move it aside to start afresh"
                )
            aside = _keep_aside(path) if store.damaged or store.skipped else None
            _replace(path, text)
            _writes_here = next(_write_count)
    except OSError as e:
        raise AdvisorError(f"{e.filename or path}: cannot store the measurement ({e.strerror or e})") from e
    if aside is not None:
        what = (
            f"the damaged store ({store.damaged}) is kept aside"
            if store.damaged
            else f"the old store, with the {len(store.skipped)} entries that were skipped "
            f"({', '.join(_shown(k) for k in list(store.skipped)[:3])}{', ...' if len(store.skipped) > 3 else ''}), "
            "is kept aside"
        )
        warnings.warn(f"{path}: {what} as {aside}; the store now holds its valid entries", MeasurementStoreWarning, 2)


# --- the team store ------------------------------------------------------------------------------------------------
#
# With ADVISOR_DB_URL set, measurements are rows of the store's rightsize_measurements table (advisor.data.store):
# whoever records one, every process and user of the store sees it at its next estimate, because store_version() is
# the table's change counter. A catalog profile's measurement (an L4) holds for everyone; a `this-machine` one only
# for machines like the one that measured it (same processor, cores and memory: `machine_description()`).
# The data folder's measurements.json, when there is one, is imported once: the pairs the store does not hold yet
# are added, and the file's content is remembered (by SHA-256) so that it is never imported again. The file itself
# is left as it is, and is what the advisor uses again once ADVISOR_DB_URL is unset.


def team_store_configured() -> bool:
    """Whether measurements live in a team store (ADVISOR_DB_URL is set) rather than in measurements.json."""
    return bool(os.environ.get(DB_URL_ENV, "").strip())


@functools.cache
def machine_description() -> str:
    """This machine in a team store's `machine` column: processor, cores and memory (no host or user name)."""
    from advisor.data.this_machine import _memory_gb, _processor

    return f"{_processor()}, {os.cpu_count() or 1} cores, {_memory_gb():.0f} GB"[:300]


def machine_of(hardware: str) -> str:
    """The `machine` a measurement on `hardware` is kept under: this machine's for `this-machine`, else none."""
    return machine_description() if hardware == THIS_MACHINE_ID else ""


def _user() -> str | None:
    try:
        return getpass.getuser()[:200] or None
    except (OSError, KeyError, ImportError):
        return None


_unreachable: dict[str, tuple[float, str]] = {}  # store URL -> (when it failed, the one-line error)
_imported: set[tuple[object, ...]] = set()  # (store, file identity) whose measurements.json is imported


def _team_store(retry: bool = False) -> ScenarioStore:
    """The team store, opened once per process, with the data folder's measurements.json imported into it.

    A store that failed within STORE_RETRY_S raises its error again without trying, unless `retry`."""
    from advisor.data.store import StoreError, default_store, store_url

    url = store_url()
    failed = _unreachable.get(url)
    if failed is not None and not retry and time.monotonic() - failed[0] < STORE_RETRY_S:
        raise StoreError(failed[1])
    try:
        store = default_store()
        import_measurements_file(store)
    except StoreError as e:
        _unreachable[url] = (time.monotonic(), str(e))
        raise
    _unreachable.pop(url, None)
    return store


def import_measurements_file(store: ScenarioStore, path: Path | None = None) -> Any:
    """Import a measurements.json (default: the data folder's) into `store`, once per content; returns what it did
    (advisor.data.store.MeasurementImport), or None when there is no file or this process already imported it.

    Only valid entries are imported (the others are reported as when reading the file); pairs the store already
    holds keep the store's figures; `this-machine` entries are taken as this machine's."""
    path = path or _store_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    identity = (store.url_shown, str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if identity in _imported:
        return None
    found = _load(path, report=True)
    if found.unreadable or not found.entries:
        _imported.add(identity)
        return None
    canonical = json.dumps(found.entries, sort_keys=True, allow_nan=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    result = store.import_measurements(
        found.entries, digest, machine_of, measured_by=_user(), source=f"imported from {path.name}"
    )
    _imported.add(identity)
    return result


def _read_team_store(strict: bool = False) -> Measurements:
    from advisor.data.store import StoreError

    try:
        store = _team_store(retry=strict)
        rows = store.measurements(machine=machine_description())
    except StoreError as e:
        if strict:
            raise
        _warn_once(("team store", str(e)), f"{e}; estimates stand in for the team's measurements")
        return Measurements()
    entries: dict[str, dict[str, float]] = {}
    for row in sorted(rows, key=lambda r: r.key):
        try:
            # Not written by this code if it fails (a row edited by hand): skipped, like a bad entry of the file.
            checked = StoredMeasurement.model_validate(row.figures(), strict=True)
            problem = _key_problem(row.key)
        except ValidationError as e:
            problem = _why(e)
        if problem is not None:
            _warn_once(
                ("team store", store.url_shown, row.key, problem),
                f"{store.url_shown}: measurement {_shown(row.key)} skipped ({problem})",
            )
            continue
        entries[row.key] = {name: float(v) for name, v in checked.model_dump().items() if v is not None}
    return Measurements(MappingProxyType({k: MappingProxyType(v) for k, v in entries.items()}))


def _team_store_version() -> tuple[str, float]:
    from advisor.data.store import StoreError, redact_url, store_url

    try:
        store = _team_store()
        return (f"{store.url_shown}|{store.measurement_revision()}", 0.0)
    except StoreError:
        return (f"{redact_url(store_url())}|unreachable", 0.0)


# --- listing and export (advisor store measurements | export-measurements) ----------------------------------------


def measurements_location() -> str:
    """Where the measurements live, in words: the team store (its URL without a password) or measurements.json."""
    if team_store_configured():
        from advisor.data.store import redact_url, store_url

        return f"team store {redact_url(store_url())}"
    return str(_store_path())


def list_measurements() -> list[dict[str, Any]]:
    """Every stored measurement as a row (model, quant, hardware, machine, figures, when, by whom, source): in a
    team store every machine's; else measurements.json's valid entries. A store that cannot be read is an error."""
    if team_store_configured():
        return [row.to_dict() for row in _team_store(retry=True).measurements()]
    found = _load(_store_path(), report=True)
    if found.unreadable:
        raise AdvisorError(f"{_store_path()}: cannot read the measurement store ({found.unreadable})")
    rows = []
    for key, figures in sorted(found.entries.items()):
        model, quant, hardware = key.split("|")
        rows.append(
            {
                "model": model,
                "quant": quant,
                "hardware": hardware,
                "machine": None,
                "tokens_per_s": figures["tokens_per_s"],
                "first_token_ms": figures.get("first_token_ms"),
                "prompt_tokens": figures.get("prompt_tokens"),
                "measured_at": None,
                "measured_by": None,
                "source": _store_path().name,
            }
        )
    return rows


def export_measurements() -> str:
    """The measurements this machine uses, as the text of a measurements.json (pair key -> figures): a copy of a
    team's measurements to keep, or to use where ADVISOR_DB_URL is not set. A store that cannot be read is an
    error."""
    entries = _read_team_store(strict=True) if team_store_configured() else read_measurements()
    data = {key: dict(figures) for key, figures in entries.entries.items()}
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
