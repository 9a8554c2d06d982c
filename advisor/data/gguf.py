"""Turn a local GGUF file's metadata into a catalog entry, so any model a user has joins the catalog.

The `gguf` package defines the format (value types, file types); reading goes through a small streaming parser
that skips the tokenizer arrays instead of materialising them: `gguf.GGUFReader` builds every one of a 262k-token
vocabulary's strings and takes ~10 s on the default model, this takes well under a second.

The file is untrusted input (a download, a file someone sent): every count and length is checked against a bound
and against the bytes left in the file before it is used, and every architecture figure is checked before it goes
into the catalog entry. Anything malformed is one `FitError`, "cannot read NAME as GGUF: <reason>".
"""

from __future__ import annotations

import functools
import math
import mmap
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import FitError
from advisor.schema.base import slug
from advisor.schema.catalog import Architecture, GgufFile, OpenWeightModel

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

# Bounds on what a header may declare. Real files are far inside them (the bundled Gemma has 33 keys, 236 tensors,
# a 262,144-entry vocabulary); each count is also checked against the bytes left in the file.
MAX_KEYS = 10_000
MAX_TENSORS = 100_000
MAX_KEY_BYTES = 65_535  # the GGUF specification's limit on a key
MAX_STRING_BYTES = 16 * 1024 * 1024  # one string value (chat templates are tens of KB)
MAX_ARRAY_ITEMS = 16 * 1024 * 1024  # one array (vocabularies are a few hundred thousand tokens)
MAX_TENSOR_DIMS = 4  # GGML_MAX_DIMS in llama.cpp
MAX_TENSOR_ELEMENTS = 2**62
MAX_ALIGNMENT = 1 << 20
KEPT_ARRAY_ITEMS = 256  # small numeric arrays (per-layer patterns) keep their values

# Architecture figures a catalog entry may take from a file: at least 1, at most these (generous beyond any model).
FIGURE_LIMITS = {
    "block_count": 10_000,
    "attention.head_count": 65_536,
    "attention.head_count_kv": 65_536,
    "attention.key_length": 65_536,
    "embedding_length": 1 << 24,
    "context_length": 1 << 28,
    "attention.sliding_window": 1 << 28,
    "expert_count": 65_536,
    "expert_used_count": 65_536,
    "vocab_size": 1 << 24,
}

SLIDING_WINDOW_PERIOD = {"gemma2": 2, "gemma3": 6, "gemma3n": 5, "cohere2": 4, "gpt-oss": 2}
"""Every Nth layer attends globally in these architectures (llama.cpp's per-architecture SWA pattern); an
architecture with a sliding_window key that is not listed uses the window on every layer."""


@dataclass(frozen=True)
class GgufHeader:
    metadata: dict[str, Any]  # scalar values; arrays are replaced by their length (small numeric ones: key.values)
    tensor_elements: dict[str, int]
    file_size: int


class _Malformed(Exception):
    """Why a file cannot be read as GGUF; read_header turns it into a FitError naming the file."""


def printable(text: str) -> str:
    """`text` as it goes into a one-line message: control characters escaped, a very long text cut."""
    if not text.isprintable():
        text = ascii(text)[1:-1]
    return text if len(text) <= 120 else f"{text[:100]}... ({len(text):,} characters)"


def shown_name(path: str | Path) -> str:
    """A file's name for a one-line message (see `printable`)."""
    return printable(Path(path).name or str(path))


def _unreadable(path: str | Path, reason: str) -> FitError:
    return FitError(f"cannot read {shown_name(path)} as GGUF: {reason}")


def _scalar_formats() -> dict[int, str]:
    from gguf import GGUFValueType as T

    return {
        T.UINT8: "<B",
        T.INT8: "<b",
        T.UINT16: "<H",
        T.INT16: "<h",
        T.UINT32: "<I",
        T.INT32: "<i",
        T.FLOAT32: "<f",
        T.BOOL: "<?",
        T.UINT64: "<Q",
        T.INT64: "<q",
        T.FLOAT64: "<d",
    }


class _Cursor:
    """Reads little-endian values from the file's bytes; never past the end, never a length over its bound."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.size = len(data)
        self.pos = 0

    def need(self, count: int, what: str) -> None:
        if count > self.size - self.pos:
            raise _Malformed(
                f"truncated: {what} needs {count:,} bytes at offset {self.pos:,} but the file has {self.size:,} bytes"
            )

    def take(self, fmt: str, what: str) -> Any:
        size = struct.calcsize(fmt)
        self.need(size, what)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def skip(self, count: int, what: str) -> None:
        self.need(count, what)
        self.pos += count

    def string(self, what: str, limit: int = MAX_STRING_BYTES) -> str:
        length = self.take("<Q", f"the length of {what}")
        if length > limit:
            raise _Malformed(f"{what} claims {length:,} bytes (at most {limit:,} are allowed)")
        self.need(length, what)
        text = self.data[self.pos : self.pos + length].decode("utf-8", errors="replace")
        self.pos += length
        return text

    def count(self, what: str, limit: int, min_item_bytes: int) -> int:
        value = int(self.take("<Q", f"the count of {what}"))
        if value > limit:
            raise _Malformed(f"the header claims {value:,} {what} (at most {limit:,} are allowed)")
        if value * min_item_bytes > self.size - self.pos:
            raise _Malformed(
                f"truncated: the header claims {value:,} {what} but only {self.size - self.pos:,} bytes follow"
            )
        return value


def read_header(path: str | Path) -> GgufHeader:
    """Metadata and tensor sizes of a GGUF file (see `_read_header`); a file read before, unchanged since, is not
    read again."""
    target = Path(path)
    try:
        status = os.stat(target)
    except (OSError, ValueError):
        return _read_header(target)  # which says why in its own words
    if not stat.S_ISREG(status.st_mode):
        return _read_header(target)
    return _cached_header(target, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _cached_header(path: Path, size: int, mtime_ns: int) -> GgufHeader:
    del size, mtime_ns  # part of the cache key: a changed file is read again
    return _read_header(path)


def _read_header(path: str | Path) -> GgufHeader:
    """Metadata and tensor sizes of a GGUF file, without reading the weights.

    Raises FitError("cannot read NAME as GGUF: <reason>") for anything that is not a well-formed GGUF file: not a
    regular file, empty, truncated, an unknown value type, a count or length beyond its bound, tensor data past
    the end of the file.
    """
    target = Path(path)
    try:
        status = os.stat(target)  # follows links: a link to /dev/zero is a device
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
        raise _unreadable(target, _os_reason(e)) from e
    if not stat.S_ISREG(status.st_mode):
        kind = "a directory" if stat.S_ISDIR(status.st_mode) else "not a regular file (a pipe, socket or device)"
        raise _unreadable(target, f"it is {kind}")
    if status.st_size == 0:
        raise _unreadable(target, "the file is empty")
    try:
        with target.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(data, os.fstat(handle.fileno()).st_size)
    except _Malformed as e:
        raise _unreadable(target, str(e)) from None
    except (OSError, ValueError) as e:  # unreadable, or the file shrank or vanished while being read
        raise _unreadable(target, _os_reason(e)) from e


def _os_reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _skip_strings(cursor: _Cursor, count: int, where: str) -> None:
    """Step over an array of strings (a vocabulary: 50K-260K of them) without decoding them."""
    data, pos, size, unpack = cursor.data, cursor.pos, cursor.size, struct.unpack_from
    for item in range(count):
        if pos + 8 > size:
            cursor.pos = pos
            cursor.need(8, f"the length of item {item + 1} of {where}")
        (length,) = unpack("<Q", data, pos)
        pos += 8
        if length > MAX_STRING_BYTES:
            raise _Malformed(
                f"item {item + 1} of {where} claims {length:,} bytes (at most {MAX_STRING_BYTES:,} are allowed)"
            )
        if length > size - pos:
            cursor.pos = pos
            cursor.need(length, f"item {item + 1} of {where}")
        pos += length
    cursor.pos = pos


def _parse(data: mmap.mmap, file_size: int) -> GgufHeader:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

    formats = _scalar_formats()
    cursor = _Cursor(data)
    if data[:4] != GGUF_MAGIC:
        raise _Malformed("not a GGUF file (no GGUF magic number)")
    cursor.pos = 4
    version = cursor.take("<I", "the version")
    if version not in SUPPORTED_VERSIONS:
        if struct.unpack("<I", struct.pack(">I", version))[0] in SUPPORTED_VERSIONS:
            raise _Malformed("a big-endian GGUF file; only little-endian files are supported")
        raise _Malformed(f"GGUF version {version}; versions 2 and 3 are supported")
    tensor_count = cursor.count("tensors", MAX_TENSORS, 8 + 4 + 4 + 8)  # name length, dims, type, offset
    kv_count = cursor.count("metadata keys", MAX_KEYS, 8 + 4)  # key length, value type
    metadata: dict[str, Any] = {}
    for index in range(kv_count):
        key = cursor.string(f"metadata key {index + 1}", MAX_KEY_BYTES)
        where = f"key {printable(key)!r}"
        kind = cursor.take("<I", f"the value type of {where}")
        if kind == GGUFValueType.STRING:
            metadata[key] = cursor.string(f"the value of {where}")
        elif kind == GGUFValueType.ARRAY:
            item_kind = cursor.take("<I", f"the item type of {where}")
            if item_kind == GGUFValueType.STRING:
                count = cursor.count(f"items in {where}", MAX_ARRAY_ITEMS, 8)
                _skip_strings(cursor, count, where)
            elif item_kind in formats:
                item_size = struct.calcsize(formats[item_kind])
                count = cursor.count(f"items in {where}", MAX_ARRAY_ITEMS, item_size)
                values_start = cursor.pos
                cursor.skip(count * item_size, f"the items of {where}")
                if count <= KEPT_ARRAY_ITEMS:
                    fmt = "<" + formats[item_kind][1] * count
                    metadata[key + ".values"] = list(struct.unpack_from(fmt, data, values_start))
            elif item_kind == GGUFValueType.ARRAY:
                raise _Malformed(f"{where} is an array of arrays, which llama.cpp does not read")
            else:
                raise _Malformed(f"{where} is an array of unknown value type {item_kind}")
            metadata[key] = count
        elif kind in formats:
            metadata[key] = cursor.take(formats[kind], f"the value of {where}")
        else:
            raise _Malformed(f"{where} has unknown value type {kind}")
    tensors: dict[str, int] = {}
    placed: list[tuple[str, int, int | None]] = []  # name, offset, bytes (None: a type this gguf package lacks)
    for index in range(tensor_count):
        name = cursor.string(f"the name of tensor {index + 1}", MAX_KEY_BYTES)
        where = f"tensor {printable(name)!r}"
        n_dims = cursor.take("<I", f"the dimension count of {where}")
        if n_dims > MAX_TENSOR_DIMS:
            raise _Malformed(f"{where} has {n_dims:,} dimensions (at most {MAX_TENSOR_DIMS} are allowed)")
        elements = 1
        for _ in range(n_dims):
            elements *= cursor.take("<Q", f"a dimension of {where}")
            if elements > MAX_TENSOR_ELEMENTS:
                raise _Malformed(f"{where} claims more than {MAX_TENSOR_ELEMENTS:,} elements")
        tensor_type = cursor.take("<I", f"the type of {where}")
        offset = cursor.take("<Q", f"the data offset of {where}")
        if name in tensors:
            raise _Malformed(f"{where} appears twice")
        tensors[name] = elements
        size: int | None = None
        try:
            block, block_bytes = GGML_QUANT_SIZES[GGMLQuantizationType(tensor_type)]
        except (ValueError, KeyError):
            pass  # a newer llama.cpp type: its size cannot be checked here, and llama.cpp checks it on load
        else:
            if elements % block:
                raise _Malformed(f"{where} has {elements:,} elements, not a multiple of its type's block of {block}")
            size = elements // block * block_bytes
        placed.append((where, offset, size))
    alignment = metadata.get("general.alignment", 32)
    if (
        not isinstance(alignment, int)
        or isinstance(alignment, bool)
        or not 0 < alignment <= MAX_ALIGNMENT
        or alignment & (alignment - 1)
    ):
        raise _Malformed(f"general.alignment is {alignment!r}; a power of two up to {MAX_ALIGNMENT:,} is needed")
    data_start = -(-cursor.pos // alignment) * alignment
    for where, offset, size in placed:
        if offset % alignment:
            raise _Malformed(f"{where} starts at offset {offset:,}, not a multiple of the alignment {alignment}")
        end = data_start + offset + (size or 0)
        if end > file_size:
            raise _Malformed(
                f"{where} ends at byte {end:,} but the file has {file_size:,} bytes (a truncated download?)"
            )
    return GgufHeader(metadata, tensors, file_size)


def quant_name(file_type: int | None) -> str:
    """llama.cpp file type number -> its usual name (15 -> Q4_K_M)."""
    from gguf import LlamaFileType

    if file_type is None:
        return "unknown"
    try:
        name = LlamaFileType(file_type).name
    except ValueError:
        return f"type-{file_type}"
    return name.removeprefix("MOSTLY_").replace("ALL_F32", "F32")


def _need(meta: dict[str, Any], arch: str, key: str, name: str) -> int:
    """A figure the estimate cannot do without (see `_figure`)."""
    value = _figure(meta, arch, key, name)
    if value is None:
        raise _unreadable(name, f"it lacks {printable(arch)}.{key}, needed to estimate its memory")
    return value


def _figure(meta: dict[str, Any], arch: str, key: str, name: str) -> int | None:
    """A whole architecture figure `arch.key` from 1 to its FIGURE_LIMITS bound, None when absent; for a per-layer
    array (heads per layer, say) its largest value, which decides memory."""
    full = f"{arch}.{key}"
    value = meta.get(full)
    per_layer = meta.get(f"{full}.values")
    if per_layer:
        value = max(per_layer)
    if value is None:
        return None
    full = printable(full)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _unreadable(name, f"{full} is {printable(repr(value))}, not a number")
    if value != int(value):
        raise _unreadable(name, f"{full} is {value!r}, not a whole number")
    limit = FIGURE_LIMITS[key]
    if not 1 <= value <= limit:
        raise _unreadable(name, f"{full} is {int(value):,}; it must be 1 to {limit:,}")
    return int(value)


def _text(value: Any, limit: int = 200) -> str | None:
    """A metadata string fit for a label: None when absent, control characters dropped, long ones cut."""
    if value is None or value == "":
        return None
    text = "".join(c for c in str(value) if c.isprintable())
    return text[:limit] or None


def model_from_gguf(path: str | Path) -> tuple[OpenWeightModel, str]:
    """A catalog entry for the GGUF at `path` and the quantisation it is stored in.

    Raises FitError("cannot read NAME as GGUF: <reason>") when the file is malformed or its architecture figures
    are missing, zero, negative or absurd.
    """
    target = Path(path)
    header = read_header(target)
    meta = header.metadata
    arch = meta.get("general.architecture")
    if arch is None or arch == "":
        raise _unreadable(target, "it has no general.architecture in its metadata")
    if not isinstance(arch, str):
        raise _unreadable(target, f"general.architecture is {arch!r}, not a name")
    if len(arch) > 64 or not arch.isprintable():
        raise _unreadable(target, f"general.architecture {printable(arch)!r} is not an architecture name")

    layers = _need(meta, arch, "block_count", target.name)
    heads = _need(meta, arch, "attention.head_count", target.name)
    hidden = _need(meta, arch, "embedding_length", target.name)
    context = _need(meta, arch, "context_length", target.name)
    kv_heads = _figure(meta, arch, "attention.head_count_kv", target.name) or heads
    if kv_heads > heads:
        raise _unreadable(target, f"{arch}.attention.head_count_kv ({kv_heads}) exceeds the head count ({heads})")
    head_dim = _figure(meta, arch, "attention.key_length", target.name) or hidden // heads
    if head_dim < 1:
        raise _unreadable(target, f"{arch}.embedding_length ({hidden}) is smaller than the head count ({heads})")
    tokens = meta.get("tokenizer.ggml.tokens")
    vocab = tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0 else None
    vocab = vocab or _figure(meta, arch, "vocab_size", target.name) or 1
    window = _figure(meta, arch, "attention.sliding_window", target.name)
    window_layers = 0
    if window:
        pattern = meta.get(f"{arch}.attention.sliding_window_pattern.values")
        if pattern:
            window_layers = min(sum(1 for flag in pattern if flag), layers)
        else:
            period = SLIDING_WINDOW_PERIOD.get(arch)
            window_layers = layers - layers // period if period else layers
    total = sum(header.tensor_elements.values())
    if total <= 0:
        raise _unreadable(target, "it holds no tensor data")
    experts = _figure(meta, arch, "expert_count", target.name)
    experts_used = _figure(meta, arch, "expert_used_count", target.name)
    if experts and experts_used and experts_used > experts:
        raise _unreadable(target, f"{arch}.expert_used_count ({experts_used}) exceeds expert_count ({experts})")
    active = None
    if experts and experts_used and experts_used < experts:
        expert_elements = sum(n for name, n in header.tensor_elements.items() if "_exps" in name)
        active = (total - expert_elements * (1 - experts_used / experts)) / 1e9
    file_type = meta.get("general.file_type")
    quant = quant_name(file_type if isinstance(file_type, int) and not isinstance(file_type, bool) else None)
    name = _text(meta.get("general.name")) or target.stem
    where = f"GGUF metadata of {target.name}"
    try:
        model = OpenWeightModel(
            id=slug(target.stem).replace(".gguf", "").strip(".-") or "gguf-model",
            name=f"{name} ({target.name})",
            family=_text(meta.get("general.basename")) or arch,
            hf_repo=None,
            params_b=total / 1e9,
            active_params_b=active if active and active > 0 else None,
            experts=experts,
            experts_active=experts_used,
            architecture=Architecture(
                layers=layers,
                attention_heads=heads,
                kv_heads=kv_heads,
                head_dim=head_dim,
                hidden_size=hidden,
                vocab_size=vocab,
                sliding_window=window,
                sliding_window_layers=window_layers,
            ),
            context_tokens=context,
            license=_text(meta.get("general.license")) or "unknown",
            instruction_tuned="instruct" in name.lower() or "-it" in target.stem.lower(),
            release=None,
            gguf_files=[GgufFile(quant=quant, size_bytes=header.file_size, source=where)],
            sources={
                "params": f"{where} (sum of tensor sizes)",
                "architecture": where,
                "context": where,
                "license": where,
                **({"active_params": f"{where} (expert tensors x used / total)"} if active else {}),
            },
        )
    except ValueError as e:  # pydantic's ValidationError: a figure the checks above let through
        reason = str(e).splitlines()
        raise _unreadable(target, f"its metadata does not make a valid catalog entry: {' '.join(reason[:3])}") from e
    return model, quant
