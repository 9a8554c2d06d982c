"""Turn a local GGUF file's metadata into a catalog entry, so any model a user has joins the catalog.

The `gguf` package defines the format (value types, file types); reading goes through a small streaming parser
that skips the tokenizer arrays instead of materialising them: `gguf.GGUFReader` builds every one of a 262k-token
vocabulary's strings and takes ~10 s on the default model, this takes well under a second.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import FitError
from advisor.schema.base import slug
from advisor.schema.catalog import Architecture, GgufFile, OpenWeightModel

GGUF_MAGIC = b"GGUF"

SLIDING_WINDOW_PERIOD = {"gemma2": 2, "gemma3": 6, "gemma3n": 5, "cohere2": 4, "gpt-oss": 2}
"""Every Nth layer attends globally in these architectures (llama.cpp's per-architecture SWA pattern); an
architecture with a sliding_window key that is not listed uses the window on every layer."""


@dataclass(frozen=True)
class GgufHeader:
    metadata: dict[str, Any]  # scalar values; arrays are replaced by their length
    tensor_elements: dict[str, int]
    file_size: int


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


def read_header(path: str | Path) -> GgufHeader:
    """Metadata and tensor sizes of a GGUF file, without reading the weights."""
    from gguf import GGUFValueType

    target = Path(path)
    if not target.is_file():
        raise FitError(f"model: {target} is not a file")
    formats = _scalar_formats()
    with target.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:4] != GGUF_MAGIC:
            raise FitError(f"model: {target.name} is not a GGUF file (no GGUF magic number)")
        pos = 4

        def take(fmt: str) -> Any:
            nonlocal pos
            (value,) = struct.unpack_from(fmt, data, pos)
            pos += struct.calcsize(fmt)
            return value

        def take_string() -> str:
            nonlocal pos
            length = take("<Q")
            text = data[pos : pos + length].decode("utf-8", errors="replace")
            pos += length
            return text

        version = take("<I")
        if version < 2:
            raise FitError(f"model: {target.name} is GGUF version {version}; versions 2 and 3 are supported")
        tensor_count = take("<Q")
        kv_count = take("<Q")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = take_string()
            kind = take("<I")
            if kind == GGUFValueType.STRING:
                metadata[key] = take_string()
            elif kind == GGUFValueType.ARRAY:
                item_kind = take("<I")
                count = take("<Q")
                if item_kind == GGUFValueType.STRING:
                    for _ in range(count):
                        pos += 8 + struct.unpack_from("<Q", data, pos)[0]
                else:
                    values_start = pos
                    pos += count * struct.calcsize(formats[item_kind])
                    if count <= 256:  # small arrays (per-layer patterns) are worth keeping
                        fmt = "<" + formats[item_kind][1] * count
                        metadata[key + ".values"] = list(struct.unpack_from(fmt, data, values_start))
                metadata[key] = count
            else:
                metadata[key] = take(formats[kind])
        tensors: dict[str, int] = {}
        for _ in range(tensor_count):
            name = take_string()
            n_dims = take("<I")
            elements = 1
            for _ in range(n_dims):
                elements *= take("<Q")
            take("<I")  # tensor type
            take("<Q")  # offset
            tensors[name] = elements
        return GgufHeader(metadata, tensors, target.stat().st_size)


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


def model_from_gguf(path: str | Path) -> tuple[OpenWeightModel, str]:
    """A catalog entry for the GGUF at `path` and the quantisation it is stored in."""
    target = Path(path)
    header = read_header(target)
    meta = header.metadata
    arch = meta.get("general.architecture")
    if not arch:
        raise FitError(f"model: {target.name} has no general.architecture in its metadata")

    def need(key: str) -> int:
        value = meta.get(f"{arch}.{key}")
        if value is None:
            raise FitError(f"model: {target.name} lacks {arch}.{key}; cannot estimate its memory")
        return int(value)

    layers = need("block_count")
    heads = need("attention.head_count")
    hidden = need("embedding_length")
    kv_heads = int(meta.get(f"{arch}.attention.head_count_kv") or heads)
    head_dim = int(meta.get(f"{arch}.attention.key_length") or hidden // heads)
    vocab = int(meta.get("tokenizer.ggml.tokens") or meta.get(f"{arch}.vocab_size") or 0)
    window = meta.get(f"{arch}.attention.sliding_window")
    window_layers = 0
    if window:
        pattern = meta.get(f"{arch}.attention.sliding_window_pattern.values")
        if pattern:
            window_layers = sum(1 for flag in pattern if flag)
        else:
            period = SLIDING_WINDOW_PERIOD.get(arch)
            window_layers = layers - layers // period if period else layers
    total = sum(header.tensor_elements.values())
    experts = meta.get(f"{arch}.expert_count")
    experts_used = meta.get(f"{arch}.expert_used_count")
    active = None
    if experts and experts_used and experts_used < experts:
        expert_elements = sum(n for name, n in header.tensor_elements.items() if "_exps" in name)
        active = (total - expert_elements * (1 - experts_used / experts)) / 1e9
    quant = quant_name(meta.get("general.file_type"))
    name = str(meta.get("general.name") or target.stem)
    where = f"GGUF metadata of {target.name}"
    model = OpenWeightModel(
        id=slug(target.stem).replace(".gguf", "") or "gguf-model",
        name=f"{name} ({target.name})",
        family=str(meta.get("general.basename") or arch),
        hf_repo=None,
        params_b=total / 1e9,
        active_params_b=active,
        experts=int(experts) if experts else None,
        experts_active=int(experts_used) if experts_used else None,
        architecture=Architecture(
            layers=layers,
            attention_heads=heads,
            kv_heads=kv_heads,
            head_dim=head_dim,
            hidden_size=hidden,
            vocab_size=max(vocab, 1),
            sliding_window=int(window) if window else None,
            sliding_window_layers=window_layers,
        ),
        context_tokens=need("context_length"),
        license=str(meta.get("general.license") or "unknown"),
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
    return model, quant
