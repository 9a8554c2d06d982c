"""The measurement store never loses data: concurrent writers, concurrent readers, damaged files, wrong-typed entries.

Real processes, real files, real locks: each test's store lives under its own ADVISOR_HOME (see conftest.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from advisor.data.measurements import (
    Measurements,
    data_dir,
    pair_key,
    read_measurements,
    record_measurement,
    store_version,
)
from advisor.errors import AdvisorError

REPO = Path(__file__).resolve().parent.parent

WRITERS, PER_WRITER = 8, 50

# Each writer waits for the go file, so all of them write at once rather than one after another as they start.
WRITER = """
import sys, time
from pathlib import Path
from advisor.data.measurements import record_measurement
writer, count, go = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
Path(f"{go}.ready-{writer}").touch()
while not go.exists():
    time.sleep(0.001)
for i in range(count):
    record_measurement(f"model-{writer}", "q4_k_m", f"hw-{i}", tokens_per_s=writer * 1000 + i + 1)
"""

# Reads in a loop until the stop file appears; prints what it saw as JSON on its last line.
READER = """
import json, sys, warnings
from pathlib import Path
from advisor.data.measurements import read_measurements
stop = Path(sys.argv[1])
reads, last, problems = 0, 0, []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    while True:
        done = stop.exists()
        try:
            n = len(read_measurements())
        except Exception as e:
            problems.append(f"read raised {e!r}")
            n = last
        if n == 0:
            problems.append("empty store")
        elif n < last:
            problems.append(f"count went from {last} down to {n}")
        last, reads = max(last, n), reads + 1
        if done:
            break
problems += [f"warning: {w.message}" for w in caught]
print(json.dumps({"reads": reads, "last": last, "bad_reads": len(problems), "problems": problems[:5]}))
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ADVISOR_HOME": str(data_dir())}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _start_writers(tmp_path: Path) -> tuple[list[subprocess.Popen[str]], Path]:
    go = tmp_path / "go"
    writers = [_python(WRITER, str(w), str(PER_WRITER), str(go)) for w in range(WRITERS)]
    return writers, go


def _finish(process: subprocess.Popen[str], timeout: float = 240) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    assert "measurements.json" not in err, err  # no store warnings: nothing was damaged or skipped
    return out


def _store() -> Path:
    return data_dir() / "measurements.json"


def _aside() -> list[Path]:
    return sorted(data_dir().glob("measurements.json.damaged-*"))


def _read_quietly() -> Measurements:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_measurements()


def _record_quietly(model: str, tokens_per_s: float = 10.0) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record_measurement(model, "Q4_K_M", "cpu-laptop-8c", tokens_per_s=tokens_per_s)


# --- concurrency -------------------------------------------------------------------------------------------------


def test_concurrent_writers_keep_every_entry(tmp_path: Path) -> None:
    writers, go = _start_writers(tmp_path)
    go.touch()
    for writer in writers:
        _finish(writer)
    entries = _read_quietly().entries
    kept = sum(pair_key(f"model-{w}", "Q4_K_M", f"hw-{i}") in entries for w in range(WRITERS) for i in range(50))
    assert kept == WRITERS * PER_WRITER, f"kept {kept} of {WRITERS * PER_WRITER} entries"
    assert len(entries) == WRITERS * PER_WRITER
    for w in range(WRITERS):
        for i in range(PER_WRITER):
            assert entries[pair_key(f"model-{w}", "q4_k_m", f"hw-{i}")] == {"tokens_per_s": w * 1000 + i + 1}
    # The lock file sits next to the store; no temporary files are left behind.
    assert sorted(p.name for p in data_dir().iterdir()) == ["measurements.json", "measurements.json.lock"]


def test_a_concurrent_reader_never_sees_a_partial_or_empty_store(tmp_path: Path) -> None:
    _record_quietly("seed")  # the store is never empty from here on, and its count only grows
    stop = tmp_path / "stop"
    reader = _python(READER, str(stop))
    writers, go = _start_writers(tmp_path)
    go.touch()
    for writer in writers:
        _finish(writer)
    stop.touch()
    seen = json.loads(_finish(reader).splitlines()[-1])
    assert seen["bad_reads"] == 0, seen
    assert seen["last"] == WRITERS * PER_WRITER + 1, seen
    assert seen["reads"] >= 20, seen  # it really read while the writers wrote


def test_a_writer_waits_for_the_lock(tmp_path: Path) -> None:
    _record_quietly("first")
    lock = data_dir() / "measurements.json.lock"
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        writer = _python(WRITER, "0", "1", str(tmp_path / "go"))
        deadline = time.monotonic() + 60
        while not (tmp_path / "go.ready-0").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        (tmp_path / "go").touch()
        time.sleep(1.0)  # time enough to have written, had it not waited
        assert writer.poll() is None, "the writer went ahead while another process held the lock"
        assert len(_read_quietly()) == 1
        fcntl.flock(held, fcntl.LOCK_UN)
    _finish(writer)
    assert set(_read_quietly().entries) == {pair_key("first", "Q4_K_M", "cpu-laptop-8c"), "model-0|Q4_K_M|hw-0"}


def test_store_version_changes_after_every_write() -> None:
    versions = [store_version()]
    for _ in range(20):  # the same entry, the same size, within the same clock tick
        _record_quietly("same", 10.0)
        versions.append(store_version())
    assert len(set(versions)) == len(versions)
    assert store_version() == versions[-1]  # and stays put while nothing is written


# --- damaged stores ------------------------------------------------------------------------------------------------

GOOD_STORE = json.dumps({"kept|Q4_K_M|cpu-laptop-8c": {"tokens_per_s": 12.5}}, indent=2).encode()

DAMAGED = {
    "truncated": GOOD_STORE[: len(GOOD_STORE) // 2],
    "empty": b"",
    "blank": b"  \n",
    "binary": bytes(range(256)) * 4,
    "json-list": b'[{"tokens_per_s": 12.5}]',
    "json-null": b"null",
    "json-string": b'"kept|Q4_K_M|cpu-laptop-8c"',
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "trailing-garbage": GOOD_STORE + b"}",
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_store_is_reported_then_kept_aside_by_the_next_write(content: bytes) -> None:
    store = _store()
    store.parent.mkdir(parents=True)
    store.write_bytes(content)

    with pytest.warns(UserWarning, match="damaged") as caught:
        measurements = read_measurements()
    assert len(measurements) == 0
    assert any(str(store) in str(w.message) for w in caught)
    # Reported once: reading the same damaged file again is quiet.
    assert len(_read_quietly()) == 0

    with pytest.warns(UserWarning, match="kept aside") as caught:
        record_measurement("new", "Q4_K_M", "cpu-laptop-8c", tokens_per_s=42.0)
    (aside,) = _aside()
    assert aside.read_bytes() == content
    assert any(str(aside) in str(w.message) for w in caught)
    assert json.loads(store.read_text()) == {"new|Q4_K_M|cpu-laptop-8c": {"tokens_per_s": 42.0}}
    assert _read_quietly().entries == {"new|Q4_K_M|cpu-laptop-8c": {"tokens_per_s": 42.0}}

    # The next write has nothing to keep aside.
    _record_quietly("newer")
    assert _aside() == [aside]


def test_a_kept_aside_store_is_never_overwritten() -> None:
    store = _store()
    store.parent.mkdir(parents=True)
    for n in range(3):  # three damaged stores within the same second
        store.write_bytes(b"damaged %d" % n)
        with pytest.warns(UserWarning):
            record_measurement(f"m{n}", "Q4_K_M", "cpu-laptop-8c", tokens_per_s=1.0)
    assert sorted(p.read_bytes() for p in _aside()) == [b"damaged 0", b"damaged 1", b"damaged 2"]
    assert len(_read_quietly()) == 1


def test_a_store_that_cannot_be_read_is_left_alone() -> None:
    # Not damage: a directory where the store should be. Reading warns; writing refuses instead of replacing it.
    store = _store()
    (store / "inside").mkdir(parents=True)
    with pytest.warns(UserWarning, match="cannot read"):
        assert len(read_measurements()) == 0
    with pytest.raises(AdvisorError, match=r"measurements\.json"):
        record_measurement("m", "Q4_K_M", "cpu-laptop-8c", tokens_per_s=1.0)
    assert (store / "inside").is_dir()
    assert _aside() == []


def test_a_missing_store_is_quietly_empty() -> None:
    assert len(_read_quietly()) == 0
    assert not data_dir().exists()  # reading creates nothing


# --- wrong-typed entries -------------------------------------------------------------------------------------------

GOOD_ENTRIES = {
    "good-a|Q4_K_M|cpu-laptop-8c": '{"tokens_per_s": 12.5}',
    "good-b|Q8_0|rtx-4090": '{"tokens_per_s": 30, "first_token_ms": 12.0, "prompt_tokens": 40}',
}
BAD_ENTRIES = {
    "string|Q4_K_M|hw": '"fast"',
    "null|Q4_K_M|hw": "null",
    "list|Q4_K_M|hw": "[12.5]",
    "number|Q4_K_M|hw": "12.5",
    "huge|Q4_K_M|hw": '{"tokens_per_s": ' + "9" * 5000 + "}",
    "huge-negative|Q4_K_M|hw": '{"tokens_per_s": -' + "9" * 5000 + "}",
    "zero|Q4_K_M|hw": '{"tokens_per_s": 0}',
    "negative|Q4_K_M|hw": '{"tokens_per_s": -3.5}',
    "nan|Q4_K_M|hw": '{"tokens_per_s": NaN}',
    "infinity|Q4_K_M|hw": '{"tokens_per_s": Infinity}',
    "too-big|Q4_K_M|hw": '{"tokens_per_s": 1e400}',
    "text-number|Q4_K_M|hw": '{"tokens_per_s": "12.5"}',
    "bool|Q4_K_M|hw": '{"tokens_per_s": true}',
    "unknown-field|Q4_K_M|hw": '{"tokens_per_s": 12.5, "speed": 1}',
    "no-speed|Q4_K_M|hw": '{"first_token_ms": 12.5}',
    "duplicate-field|Q4_K_M|hw": '{"tokens_per_s": 12.5, "tokens_per_s": 13}',
    "nan-first-token|Q4_K_M|hw": '{"tokens_per_s": 12.5, "first_token_ms": NaN}',
    "no-bars": '{"tokens_per_s": 12.5}',
    "two|bars": '{"tokens_per_s": 12.5}',
    "four|bars|in|key": '{"tokens_per_s": 12.5}',
    "empty||part": '{"tokens_per_s": 12.5}',
    " |Q4_K_M|hw": '{"tokens_per_s": 12.5}',
    "bell\\u0007|Q4_K_M|hw": '{"tokens_per_s": 12.5}',
    "newline\\n|Q4_K_M|hw": '{"tokens_per_s": 12.5}',
    "long" + "x" * 300 + "|Q4_K_M|hw": '{"tokens_per_s": 12.5}',
}


def _store_text(entries: dict[str, str]) -> str:
    return "{\n" + ",\n".join(f'  "{key}": {value}' for key, value in entries.items()) + "\n}\n"


def _named(key: str) -> str:
    """How a key appears in a warning: as Python writes it, JSON escapes decoded, long keys cut short."""
    decoded = json.loads(f'"{key}"')
    return repr(decoded)[:60]


def test_wrong_typed_entries_are_skipped_by_name_and_good_ones_survive_reads_and_writes() -> None:
    store = _store()
    store.parent.mkdir(parents=True)
    text = _store_text({**GOOD_ENTRIES, **BAD_ENTRIES})
    store.write_text(text)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        measurements = read_measurements()
    messages = [str(w.message) for w in caught]
    assert all(str(store) in message for message in messages), messages
    for key in BAD_ENTRIES:
        assert any(_named(key) in message for message in messages), (key, messages)
    assert len(messages) == len(BAD_ENTRIES)
    good = {
        "good-a|Q4_K_M|cpu-laptop-8c": {"tokens_per_s": 12.5},
        "good-b|Q8_0|rtx-4090": {"tokens_per_s": 30.0, "first_token_ms": 12.0, "prompt_tokens": 40.0},
    }
    assert measurements.entries == good

    with pytest.warns(UserWarning, match="kept aside"):
        record_measurement("new", "Q4_K_M", "cpu-laptop-8c", tokens_per_s=42.0)
    assert _read_quietly().entries == {**good, "new|Q4_K_M|cpu-laptop-8c": {"tokens_per_s": 42.0}}
    (aside,) = _aside()
    assert aside.read_text() == text  # the skipped entries are not lost either


def test_estimates_go_on_past_wrong_typed_entries_for_the_same_pair() -> None:
    import advisor
    from advisor.data.catalog import default_catalog

    store = _store()
    store.parent.mkdir(parents=True)
    store.write_text(
        _store_text(
            {
                "gemma-3-270m|Q8_0|rtx-4090": '{"tokens_per_s": ' + "9" * 5000 + "}",
                "gemma-3-270m|Q4_K_M|rtx-4090": '{"tokens_per_s": NaN}',
                "gemma-3-270m|Q4_K_M|cpu-laptop-8c": '{"tokens_per_s": 81.0}',
            }
        )
    )
    with pytest.warns(UserWarning, match="gemma-3-270m"):
        catalog = default_catalog()
    assert advisor.estimate_fit("gemma-3-270m", "rtx-4090", "Q8_0", catalog=catalog).basis == "estimated"
    assert advisor.estimate_fit("gemma-3-270m", "rtx-4090", "Q4_K_M", catalog=catalog).basis == "estimated"
    measured = advisor.estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", catalog=catalog)
    assert measured.basis == "measured" and measured.tokens_per_s["expected"] == 81.0


# --- what record_measurement accepts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "quant", "hardware", "figures", "message"),
    [
        ("a|b", "Q4_K_M", "hw", {"tokens_per_s": 1.0}, "model"),
        ("m", "Q4|K", "hw", {"tokens_per_s": 1.0}, "quant"),
        ("m", "Q4_K_M", "", {"tokens_per_s": 1.0}, "hardware"),
        ("m", " ", "hw", {"tokens_per_s": 1.0}, "quant"),
        ("m\n", "Q4_K_M", "hw", {"tokens_per_s": 1.0}, "model"),
        ("m" * 300, "Q4_K_M", "hw", {"tokens_per_s": 1.0}, "300"),
        ("m", "Q4_K_M", "hw", {"tokens_per_s": 0.0}, "tokens_per_s: must be > 0, got 0"),
        ("m", "Q4_K_M", "hw", {"tokens_per_s": float("nan")}, "tokens_per_s"),
        ("m", "Q4_K_M", "hw", {"tokens_per_s": float("inf")}, "tokens_per_s"),
        ("m", "Q4_K_M", "hw", {"tokens_per_s": 1.0, "first_token_ms": -1.0}, "first_token_ms"),
        ("m", "Q4_K_M", "hw", {"tokens_per_s": 1.0, "first_token_ms": float("inf")}, "first_token_ms"),
        ("m", "Q4_K_M", "hw", {"tokens_per_s": 1.0, "first_token_ms": 5.0, "prompt_tokens": 0}, "prompt_tokens"),
    ],
)
def test_record_measurement_refuses_what_it_could_not_read_back(
    model: str, quant: str, hardware: str, figures: dict[str, float], message: str
) -> None:
    _record_quietly("before")
    with pytest.raises(AdvisorError, match=message):
        record_measurement(model, quant, hardware, **figures)  # type: ignore[arg-type]
    assert set(_read_quietly().entries) == {"before|Q4_K_M|cpu-laptop-8c"}


def test_a_stored_measurement_reads_back_exactly() -> None:
    record_measurement("m", "q8_0", "rtx-4090", tokens_per_s=321.0, first_token_ms=12.0, prompt_tokens=40)
    measurements = _read_quietly()
    assert measurements.for_pair("m", "Q8_0", "rtx-4090") == {
        "tokens_per_s": 321.0,
        "first_token_ms": 12.0,
        "prompt_tokens": 40.0,
    }
    assert json.loads(_store().read_text()) == {
        "m|Q8_0|rtx-4090": {"first_token_ms": 12.0, "prompt_tokens": 40.0, "tokens_per_s": 321.0}
    }


def test_a_store_linked_from_elsewhere_stays_linked(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "measurements.json"
    target.parent.mkdir()
    target.write_text(json.dumps({"kept|Q4_K_M|cpu-laptop-8c": {"tokens_per_s": 12.5}}))
    data_dir().mkdir()
    _store().symlink_to(target)
    _record_quietly("new")
    assert _store().is_symlink()
    assert set(json.loads(target.read_text())) == {"kept|Q4_K_M|cpu-laptop-8c", "new|Q4_K_M|cpu-laptop-8c"}
