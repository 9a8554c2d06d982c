"""Hostile input on the local side: damaged GGUF files, absurd runner settings and model specs that reach outside.

Every damaged file is made here from real parts: the bundled Gemma 3 270M GGUF cut short or with one header field
patched, and small headers written byte by byte with `struct` in the layout the GGUF format defines. Each must be
one domain error, "cannot read NAME as GGUF: <reason>", from `advisor fit`, `advisor catalog models --gguf` and the
local side of `advisor compare` (where the other side still runs), never a traceback or "internal error".
"""

from __future__ import annotations

import json
import math
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor.cli import main
from advisor.data.gguf import MAX_KEYS, model_from_gguf
from advisor.errors import FitError
from advisor.runners import RunnerError, RunSettings, make_runner
from advisor.runners.local import (
    MAX_CHARS_PER_TOKEN,
    MAX_N_CTX,
    MAX_SPEC_CHARS,
    OUTPUT_MARGIN_TOKENS,
    SPEED_MODEL,
    LocalRunner,
    max_threads,
    resolve_model,
)

HEADER_BYTES = 8_000_000  # the bundled file's metadata and tensor table end at about 6.5 MB
QUICK_S = 10.0

# GGUF value types (gguf.GGUFValueType)
UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY = 4, 5, 6, 7, 8, 9
F16 = 1  # tensor type and, as general.file_type, "mostly F16"


# --------------------------------------------------------------------------------------------- synthetic headers
def gguf_string(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def kv(key: str, kind: int, payload: bytes) -> bytes:
    return gguf_string(key) + struct.pack("<I", kind) + payload


def kv_u32(key: str, value: int) -> bytes:
    return kv(key, UINT32, struct.pack("<I", value))


def kv_str(key: str, value: str) -> bytes:
    return kv(key, STRING, gguf_string(value))


def tensor(name: str, dims: tuple[int, ...], kind: int = F16, offset: int = 0) -> bytes:
    return (
        gguf_string(name)
        + struct.pack("<I", len(dims))
        + b"".join(struct.pack("<Q", d) for d in dims)
        + struct.pack("<I", kind)
        + struct.pack("<Q", offset)
    )


def tiny_kvs(**changes: bytes | None) -> list[bytes]:
    """A minimal llama-architecture header's keys; `changes` replaces (or, with None, drops) one by short name."""
    entries: dict[str, bytes | None] = {
        "arch": kv_str("general.architecture", "llama"),
        "file_type": kv_u32("general.file_type", F16),
        "layers": kv_u32("llama.block_count", 2),
        "heads": kv_u32("llama.attention.head_count", 4),
        "hidden": kv_u32("llama.embedding_length", 64),
        "context": kv_u32("llama.context_length", 256),
    }
    entries.update(changes)
    return [entry for entry in entries.values() if entry is not None]


def tiny_gguf(
    kvs: list[bytes] | None = None,
    tensors: list[bytes] | None = None,
    version: int = 3,
    kv_count: int | None = None,
    tensor_count: int | None = None,
    data_bytes: int = 64 * 8 * 2,
) -> bytes:
    """A whole GGUF file: header, keys, tensor table, padding to 32 bytes, then `data_bytes` of weights."""
    kvs = tiny_kvs() if kvs is None else kvs
    tensors = [tensor("token_embd.weight", (64, 8))] if tensors is None else tensors
    head = b"GGUF" + struct.pack(
        "<IQQ",
        version,
        len(tensors) if tensor_count is None else tensor_count,
        len(kvs) if kv_count is None else kv_count,
    )
    head += b"".join(kvs) + b"".join(tensors)
    head += b"\0" * (-len(head) % 32)
    return head + b"\0" * data_bytes


SYNTHETIC: dict[str, bytes] = {
    "zero-heads": tiny_gguf(tiny_kvs(heads=kv_u32("llama.attention.head_count", 0))),  # was ZeroDivisionError
    "negative-heads": tiny_gguf(tiny_kvs(heads=kv("llama.attention.head_count", INT32, struct.pack("<i", -4)))),
    "zero-layers": tiny_gguf(tiny_kvs(layers=kv_u32("llama.block_count", 0))),
    "negative-layers": tiny_gguf(tiny_kvs(layers=kv("llama.block_count", INT32, struct.pack("<i", -2)))),
    "zero-context": tiny_gguf(tiny_kvs(context=kv_u32("llama.context_length", 0))),
    "nan-context": tiny_gguf(tiny_kvs(context=kv("llama.context_length", FLOAT32, struct.pack("<f", math.nan)))),
    "fractional-layers": tiny_gguf(tiny_kvs(layers=kv("llama.block_count", FLOAT32, struct.pack("<f", 2.5)))),
    "true-as-layers": tiny_gguf(tiny_kvs(layers=kv("llama.block_count", BOOL, b"\x01"))),
    "text-as-heads": tiny_gguf(tiny_kvs(heads=kv_str("llama.attention.head_count", "four"))),
    "absurd-layers": tiny_gguf(tiny_kvs(layers=kv_u32("llama.block_count", 4_000_000_000))),
    "zero-width": tiny_gguf(tiny_kvs(hidden=kv_u32("llama.embedding_length", 0))),
    "width-below-heads": tiny_gguf(tiny_kvs(hidden=kv_u32("llama.embedding_length", 2))),
    "no-head-count": tiny_gguf(tiny_kvs(heads=None)),
    "no-architecture": tiny_gguf(tiny_kvs(arch=None)),
    "number-as-architecture": tiny_gguf(tiny_kvs(arch=kv_u32("general.architecture", 7))),
    "more-kv-heads-than-heads": tiny_gguf([*tiny_kvs(), kv_u32("llama.attention.head_count_kv", 8)]),
    "used-experts-over-experts": tiny_gguf(
        [*tiny_kvs(), kv_u32("llama.expert_count", 2), kv_u32("llama.expert_used_count", 4)]
    ),
    "unknown-value-type": tiny_gguf([*tiny_kvs(), kv("llama.mystery", 99, b"\0" * 8)]),  # was KeyError
    "array-of-unknown-type": tiny_gguf([*tiny_kvs(), kv("x", ARRAY, struct.pack("<IQ", 77, 1) + b"\0" * 8)]),
    "array-of-arrays": tiny_gguf([*tiny_kvs(), kv("x", ARRAY, struct.pack("<IQ", ARRAY, 1) + b"\0" * 12)]),
    "huge-array": tiny_gguf([*tiny_kvs(), kv("x", ARRAY, struct.pack("<IQ", UINT32, 2**40))]),
    "huge-string-array": tiny_gguf([*tiny_kvs(), kv("x", ARRAY, struct.pack("<IQ", STRING, 2**62))]),
    "huge-string": tiny_gguf([*tiny_kvs(), kv("x", STRING, struct.pack("<Q", 2**62))]),
    "huge-key": tiny_gguf([struct.pack("<Q", 2**63) + b"general.architecture", *tiny_kvs()]),
    "huge-key-count": tiny_gguf(kv_count=2**63),
    "key-count-over-the-bound": tiny_gguf(kv_count=MAX_KEYS + 1),
    "huge-tensor-count": tiny_gguf(tensor_count=2**40),
    "version-1": tiny_gguf(version=1),
    "version-99": tiny_gguf(version=99),
    "big-endian": tiny_gguf(version=3 << 24),
    "no-tensors": tiny_gguf(tensors=[], data_bytes=0),
    "nine-dimensions": tiny_gguf(tensors=[tensor("token_embd.weight", (1,) * 9)]),
    "huge-dimensions": tiny_gguf(tensors=[tensor("token_embd.weight", (2**40, 2**40))]),
    "partial-quant-block": tiny_gguf(tensors=[tensor("token_embd.weight", (100,), kind=12)]),  # Q4_K: 256-blocks
    "tensor-past-the-end": tiny_gguf(tensors=[tensor("token_embd.weight", (64, 8), offset=1 << 30)]),
    "misaligned-tensor": tiny_gguf(tensors=[tensor("token_embd.weight", (64, 8), offset=3)]),
    "duplicate-tensor": tiny_gguf(tensors=[tensor("token_embd.weight", (8,)), tensor("token_embd.weight", (8,))]),
    "alignment-3": tiny_gguf([*tiny_kvs(), kv_u32("general.alignment", 3)]),
    "weights-cut-off": tiny_gguf(data_bytes=100),
    "no-magic": b"GGUX" + tiny_gguf()[4:],
}


# ------------------------------------------------------------------------------------------- the bundled file, damaged
@pytest.fixture(scope="module")
def bundled() -> Path:
    """The real bundled Gemma 3 270M file (assembled once per session; every timed test below runs after this).
    The damage below is placed by its header's layout: its keys are gemma3.*, its vocabulary is 262K strings."""
    return resolve_model(SPEED_MODEL)


@pytest.fixture(scope="module")
def bundled_head(bundled: Path) -> tuple[bytes, int]:
    with bundled.open("rb") as handle:
        return handle.read(HEADER_BYTES), bundled.stat().st_size


def _patched(offset_of: Callable[[bytes], int], fmt: str, value: int) -> Callable[[bytes], bytes]:
    def patch(head: bytes) -> bytes:
        out = bytearray(head)
        at = offset_of(head)
        out[at : at + struct.calcsize(fmt)] = struct.pack(fmt, value)
        return bytes(out)

    return patch


def _value_of(key: str) -> Callable[[bytes], int]:
    """The offset of a UINT32 key's value in the bundled header (after the key, its type)."""
    return lambda head: head.index(gguf_string(key) + struct.pack("<I", UINT32)) + 8 + len(key) + 4


# name -> (how the header is damaged, whether the file keeps its full size: sparse zeros after the header)
REAL: dict[str, tuple[Callable[[bytes], bytes], bool]] = {
    "first-100-bytes": (lambda head: head[:100], False),
    "first-4-bytes": (lambda head: head[:4], False),
    "empty": (lambda head: b"", False),
    "cut-in-the-vocabulary": (lambda head: head[:3_000_000], False),
    "cut-after-the-header": (lambda head: head[:7_000_000], False),  # a download that stopped early
    "huge-key-count": (_patched(lambda head: 16, "<Q", 2**40), True),
    "key-count-over-the-bound": (_patched(lambda head: 16, "<Q", MAX_KEYS + 1), True),
    "more-keys-than-written": (_patched(lambda head: 16, "<Q", 5_000), True),
    "huge-tensor-count": (_patched(lambda head: 8, "<Q", 2**40), True),
    "huge-first-key": (_patched(lambda head: 24, "<Q", 2**62), True),
    "unknown-value-type": (_patched(lambda head: 24 + 8 + len("general.architecture"), "<I", 99), True),
    "zero-attention-heads": (_patched(_value_of("gemma3.attention.head_count"), "<I", 0), True),
    "zero-layers": (_patched(_value_of("gemma3.block_count"), "<I", 0), True),
    "zero-context": (_patched(_value_of("gemma3.context_length"), "<I", 0), True),
}


def write_damaged(folder: Path, name: str, head: bytes, size: int, full_size: bool) -> Path:
    path = folder / f"{name}.gguf"
    path.write_bytes(head)
    if full_size:
        os.truncate(path, size)  # the rest reads as zeros: only the header is damaged
    return path


@pytest.fixture
def damaged(request: pytest.FixtureRequest, tmp_path: Path, bundled_head: tuple[bytes, int]) -> Path:
    kind, name = request.param
    if kind == "real":
        damage, full_size = REAL[name]
        head, size = bundled_head
        return write_damaged(tmp_path, name, damage(head), size, full_size)
    path = tmp_path / f"{name}.gguf"
    path.write_bytes(SYNTHETIC[name])
    return path


ALL_DAMAGED = [("real", name) for name in REAL] + [("synthetic", name) for name in SYNTHETIC]


def one_error_line(capsys: pytest.CaptureFixture[str], name: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "cannot read" in lines[0] and name in lines[0], lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in captured.err + captured.out
    return lines[0]


def compare_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], float]:
    start = time.perf_counter()
    code = main(["compare", "--prompt", "hi", "--format", "json", *args])
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out and "internal error" not in captured.err
    return code, json.loads(captured.out), elapsed


# ------------------------------------------------------------------------------------------------------- the tests
def test_the_synthetic_header_is_sound_so_each_variant_breaks_one_thing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(tiny_gguf())
    model, quant = model_from_gguf(path)
    assert quant == "F16" and model.architecture.layers == 2 and model.architecture.head_dim == 16
    assert model.context_tokens == 256 and model.params_b == pytest.approx(512 / 1e9)
    assert main(["fit", str(path), "--hardware", "rtx-4090", "--context", "256", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["fits"] is True


@pytest.mark.timeout(120)
@pytest.mark.parametrize("damaged", ALL_DAMAGED, indirect=True, ids=[f"{k}-{n}" for k, n in ALL_DAMAGED])
def test_a_damaged_gguf_is_one_domain_error_everywhere(damaged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = damaged.name
    with pytest.raises(FitError) as error:
        model_from_gguf(damaged)
    message = str(error.value)
    assert message.startswith(f"cannot read {name} as GGUF: ") and "\n" not in message

    assert main(["fit", str(damaged), "--hardware", "rtx-4090"]) == 2
    assert one_error_line(capsys, name) == f"advisor: error: {message}"

    assert main(["catalog", "models", "--gguf", str(damaged)]) == 2
    assert one_error_line(capsys, name) == f"advisor: error: {message}"

    code, data, elapsed = compare_json(capsys, "--local", str(damaged), "--only", "local")
    assert code == 1  # nothing ran
    assert data["local"]["error"] == f"local model: {message}"
    assert elapsed < QUICK_S


def test_a_name_with_a_newline_still_makes_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad\nname.gguf"
    path.write_bytes(SYNTHETIC["zero-heads"])
    assert main(["fit", str(path), "--hardware", "rtx-4090"]) == 2
    assert one_error_line(capsys, "bad\\nname.gguf")


def test_a_damaged_local_model_leaves_the_api_side_running(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bundled_head: tuple[bytes, int],
    llama_server: tuple[str, str],
) -> None:
    """A real OpenAI-compatible server (llama.cpp's, with the bundled model) on the API side."""
    base_url, model_id = llama_server
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-server")  # llama.cpp's server takes any key
    head, size = bundled_head
    damage, full_size = REAL["zero-attention-heads"]
    path = write_damaged(tmp_path, "zero-attention-heads", damage(head), size, full_size)
    code, data, _ = compare_json(
        capsys, "--local", str(path), "--api-base", base_url, "--api-model", model_id, "--max-tokens", "16"
    )
    assert code == 0  # one side ran
    assert data["local"]["error"].startswith("local model: cannot read zero-attention-heads.gguf as GGUF: ")
    assert "gemma3.attention.head_count" in data["local"]["error"]
    assert "error" not in data["api"], data["api"]
    assert data["api"]["text"].strip() and data["api"]["completion_tokens"] > 0


def test_a_header_llama_cpp_cannot_load_is_a_runner_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Sound metadata but no weights llama.cpp can use: the load fails in llama.cpp, still one line."""
    path = tmp_path / "tiny.gguf"
    path.write_bytes(tiny_gguf())
    with pytest.raises(RunnerError) as error:
        make_runner("local", model=str(path))
    assert str(error.value).startswith("local model: llama.cpp could not load tiny.gguf")
    assert "\n" not in str(error.value)
    code, data, elapsed = compare_json(capsys, "--local", str(path), "--only", "local")
    assert code == 1 and data["local"]["error"] == str(error.value) and elapsed < QUICK_S


# ------------------------------------------------------------------------------------------------- runner settings
def _fifo(folder: Path) -> str:
    path = folder / "pipe.gguf"
    os.mkfifo(path)
    return str(path)


def _directory(folder: Path) -> str:
    path = folder / "folder.gguf"
    path.mkdir()
    return str(path)


def _device_link(folder: Path) -> str:
    path = folder / "zero.gguf"
    path.symlink_to("/dev/zero")
    return str(path)


SETTINGS: dict[str, tuple[dict[str, Any], list[str] | None, str]] = {
    # name: (make_runner options, the same as CLI arguments, the message's start)
    "threads-100000": ({"threads": 100_000}, ["--threads", "100000"], "threads: must be >= 1 and <= "),
    "threads-0": ({"threads": 0}, None, "threads: must be >= 1"),
    "context-16": ({"n_ctx": 16}, ["--context", "16"], "context: must be >= 128 and <= 131,072 tokens"),
    "context-1e9": (
        {"n_ctx": 10**9},
        ["--context", str(10**9)],
        "context: must be >= 128 and <= 131,072 tokens, got 1,000,000,000",
    ),
    "context-over-the-models": (
        {"n_ctx": 65_536},
        ["--context", "65536"],
        "context: smollm2-135m-instruct takes at most 8,192 tokens (its own context), got 65,536",
    ),
    "context-as-text": ({"n_ctx": "2048"}, None, "context: must be a whole number"),
    "gpu-layers-huge": ({"gpu_layers": 2**40}, ["--gpu-layers", str(2**40)], "gpu-layers: must be -1"),
}
SPECS: dict[str, tuple[Callable[[Path], str], str]] = {
    "hub-traversal": (lambda _: "owner/repo:../../etc/passwd.gguf", "local model: the file name in "),
    "hub-absolute": (lambda _: "owner/repo:/etc/passwd.gguf", "local model: the file name in "),
    "hub-dot-part": (lambda _: "owner/repo:sub/./x.gguf", "local model: the file name in "),
    "hub-repo-dots": (lambda _: "owner/re..po:x.gguf", "local model: 'owner/re..po' is not a Hugging Face repo name"),
    "hub-backslash": (lambda _: "owner/repo:..\\..\\x.gguf", "local model: no such file owner/repo:..\\..\\x.gguf"),
    "long-path": (
        lambda folder: str(folder / ("a" * 5_000 + ".gguf")),
        "local model: the path or repo is ",
    ),
    "long-hub-spec": (lambda _: "owner/repo:" + "a/" * 600 + "x.gguf", "local model: the path or repo is 1,217"),
    "long-file-name": (lambda folder: str(folder / ("b" * 300 + ".gguf")), "local model: cannot open "),
    "control-characters": (lambda _: "model\x00.gguf", "local model: 'model\\x00.gguf' contains control characters"),
    "directory": (_directory, "local model: "),
    "fifo": (_fifo, "local model: "),
    "device": (_device_link, "local model: "),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(SETTINGS))
def test_absurd_settings_are_refused_in_one_line_before_loading(
    name: str, bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options, as_cli, expected = SETTINGS[name]
    start = time.perf_counter()
    with pytest.raises(RunnerError) as error:
        make_runner("local", **options)
    assert time.perf_counter() - start < QUICK_S
    message = str(error.value)
    assert message.startswith(expected) and "\n" not in message
    if name == "threads-100000":
        assert f"<= {max_threads()} " in message and "got 100,000" in message
    if as_cli is not None:
        code, data, elapsed = compare_json(capsys, "--only", "local", *as_cli)
        assert code == 1 and data["local"]["error"] == message and elapsed < QUICK_S


def test_the_bounds_in_the_messages_are_the_enforced_ones(bundled: Path) -> None:
    assert MAX_N_CTX == 131_072 and 1 <= max_threads() <= 256
    with pytest.raises(RunnerError, match="threads"):
        make_runner("local", threads=max_threads() + 1)
    with pytest.raises(RunnerError, match="context"):
        make_runner("local", n_ctx=MAX_N_CTX + 1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(SPECS))
def test_model_specs_that_reach_outside_are_refused_in_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_spec, expected = SPECS[name]
    spec = make_spec(tmp_path)
    start = time.perf_counter()
    with pytest.raises(RunnerError) as error:
        make_runner("local", model=spec)
    assert time.perf_counter() - start < QUICK_S  # a FIFO is never opened, nothing is downloaded
    message = str(error.value)
    assert message.startswith(expected) and "\n" not in message and len(message) < 400
    if name.startswith("long-") and name != "long-file-name":
        assert message.endswith(f"characters long; at most {MAX_SPEC_CHARS:,} are allowed")
    if name in ("directory", "fifo", "device"):
        kind = {"directory": "a directory", "fifo": "a named pipe", "device": "a device"}[name]
        assert message.endswith(f"is not a .gguf file ({kind})")
    if name != "control-characters":  # argv cannot carry a NUL byte
        code, data, elapsed = compare_json(capsys, "--only", "local", "--local", spec)
        assert code == 1 and data["local"]["error"] == message and elapsed < QUICK_S


@pytest.mark.timeout(60)
@pytest.mark.parametrize("make_path", [_directory, _fifo, _device_link], ids=["directory", "fifo", "device"])
def test_fit_and_catalog_refuse_what_is_not_a_regular_file(
    make_path: Callable[[Path], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_path(tmp_path)
    start = time.perf_counter()
    assert main(["fit", path, "--hardware", "rtx-4090"]) == 2
    assert "as GGUF: it is " in one_error_line(capsys, Path(path).name)
    assert main(["catalog", "models", "--gguf", path]) == 2
    assert one_error_line(capsys, Path(path).name)
    assert time.perf_counter() - start < QUICK_S


@pytest.mark.timeout(60)
def test_fit_refuses_an_over_long_path_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / ("c" * 5_000 + ".gguf"))
    assert main(["fit", path, "--hardware", "rtx-4090"]) == 2
    line = one_error_line(capsys, "c" * 100)
    assert "(5,005 characters)" in line and len(line) < 300


# ------------------------------------------------------------------------------------------------------ output cap
@pytest.mark.timeout(300)
def test_the_collected_output_never_passes_max_tokens(bundled: Path) -> None:
    runner = make_runner("local", n_ctx=512)
    assert isinstance(runner, LocalRunner)
    for max_tokens in (1, 8):
        pieces: list[str] = []
        result = runner.run(
            "Count from one to one hundred in words.", RunSettings(max_tokens=max_tokens), pieces.append
        )
        assert result.ok, result.error
        assert result.completion_tokens is not None and 1 <= result.completion_tokens <= max_tokens
        assert len(result.text) <= (max_tokens + OUTPUT_MARGIN_TOKENS) * MAX_CHARS_PER_TOKEN
        assert "".join(pieces) == result.text and "stopped" not in result.extra
