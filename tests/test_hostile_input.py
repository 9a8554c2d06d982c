"""A hostile-input suite: several hundred mutated scenario files (type swaps, huge and special numbers, deep nesting,
tags, aliases, control characters, unknown and missing keys) through `advisor validate`, `advisor recommend` and
the share-link decoder. Each is either accepted or refused with exit code 2 and one line naming the field, fast.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.cli import main
from advisor.data.examples import example_scenarios
from advisor.data.share import decode_scenario
from advisor.errors import ScenarioError

SEED = 20261202
CASES = 300
REPLACEMENTS: list[Any] = [
    True,
    None,
    "",
    "x" * 5_000,
    10**30,
    -1,
    0,
    1e308,
    -0.0,
    [],
    {},
    {"unexpected": 1},
    "\x1b[31mred",
    "right\u202eleft",
    "no",
    [[[[[[[[[[1]]]]]]]]]],
    "1e999",
]
RAW_TEXTS = [
    "version: 1\nname: !!int abc\nworkloads: []\n",
    "version: 1\nname: &a [*a]\nworkloads: []\n",
    "version: 1\nname: x\nworkloads: " + "[" * 5_000 + "]" * 5_000 + "\n",
    "version: 1\nname: x\nworkloads:\n  - {name: a, task: classification, requests_per_day: " + "9" * 5_000 + "}\n",
    "a: &a [1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "version: 1\nname: x\n\tworkloads: []\n",
    "version: 1\nname: x\nname: y\nworkloads: []\n",
    "\ufeffversion: 1\nname: bom\nworkloads: []\n",
    "- just\n- a list\n",
    "",
    "version: 1\nname: nul\x00byte\nworkloads: []\n",
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    mutated = copy.deepcopy(data)
    path = rng.choice(_paths(mutated))
    parent: Any = mutated
    for part in path[:-1]:
        parent = parent[part]
    action = rng.random()
    if action < 0.7:
        parent[path[-1]] = rng.choice(REPLACEMENTS)
    elif action < 0.85 and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[f"{path[-1]}_typo"] = 1
    return mutated


def mutated_texts() -> list[str]:
    rng = random.Random(SEED)
    bases = [s.to_dict() for s in example_scenarios().values()]
    texts = [yaml.safe_dump(_mutate(rng.choice(bases), rng), sort_keys=False) for _ in range(CASES)]
    return texts + RAW_TEXTS


TEXTS = mutated_texts()


def one_line_refusal(err: str) -> None:
    assert err.count("\n") == 1 and err.startswith("advisor: error: "), err
    assert "Traceback" not in err and "internal error" not in err


def test_every_mutated_file_is_accepted_or_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted = refused = 0
    slowest = (0.0, -1)
    main(["validate", str(Path(__file__).parent.parent / "examples" / "shoe-store.yaml")])  # warm: catalog loads
    capsys.readouterr()
    for number, text in enumerate(TEXTS):
        path = tmp_path / f"case-{number}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.perf_counter()
        code = main(["validate", str(path)])
        slowest = max(slowest, (time.perf_counter() - started, number))
        _out, err = capsys.readouterr()
        assert code in (0, 2), (number, text[:200], err)
        if code == 2:
            one_line_refusal(err)
            refused += 1
            continue
        accepted += 1
        # Accepted: the advisor decides it without an internal error.
        assert main(["recommend", str(path), "--format", "json"]) == 0, capsys.readouterr().err
        json.loads(capsys.readouterr().out)
    assert slowest[0] < 2.0, f"case {slowest[1]} took {slowest[0]:.1f} s: {TEXTS[slowest[1]][:200]!r}"
    assert refused > CASES // 2 and accepted > 10  # both paths were really exercised


@pytest.mark.parametrize("number", range(0, len(TEXTS), 7))
def test_the_share_link_decoder_accepts_or_refuses_in_one_line(number: int) -> None:
    try:
        data = yaml.safe_load(TEXTS[number])
        raw = json.dumps(data).encode()
    except (yaml.YAMLError, ValueError, RecursionError):
        raw = TEXTS[number].encode("utf-8", "surrogatepass")
    link = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    started = time.perf_counter()
    try:
        decode_scenario(link)
    except ScenarioError as e:
        assert "\n" not in str(e) and str(e).startswith("share link: ")
    assert time.perf_counter() - started < 2.0
