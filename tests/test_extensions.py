"""Extension points: a package installed next to the advisor adds a runner or a rules file through the
`rightsize.runners` / `rightsize.rules` entry-point groups, exactly as the built-ins are declared."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import advisor
from advisor.compare import compare
from advisor.data.catalog import catalog_dir, rules_names, rules_path
from advisor.errors import CatalogError
from advisor.runners import RunnerError, make_runner, runner_names
from tests.conftest import EXAMPLES

RUNNER_MODULE = '''
from advisor.runners import Measurement


class ShoutRunner:
    """Answers with the prompt in capitals: a runner in a third-party package."""

    name = "shout"
    label = "shout (third-party)"

    def run(self, prompt, settings, on_text=None):
        text = prompt.upper()
        if on_text is not None:
            on_text(text)
        return Measurement(runner=self.name, model="shout", text=text, completion_tokens=len(text.split()))


def make_shout_runner(**options):
    return ShoutRunner()


def strict_rules_path():
    from pathlib import Path
    return Path(__file__).parent / "strict_rules.yaml"
'''


@pytest.fixture
def third_party_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution (a dist-info folder on sys.path) declaring one runner and one rules file."""
    site = tmp_path / "site-packages"
    package = site / "rightsize_shout"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(RUNNER_MODULE)
    rules = (catalog_dir() / "rules.yaml").read_text()
    # The team's stricter reading: any privacy level above public rules out every API.
    rules = rules.replace("rules:\n", "rules:\n" + STRICT_RULE, 1)
    (package / "strict_rules.yaml").write_text(rules)
    dist = site / "rightsize_shout-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rightsize-shout\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[rightsize.runners]\nshout = rightsize_shout:make_shout_runner\n\n"
        "[rightsize.rules]\nstrict = rightsize_shout:strict_rules_path\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    sys.modules.pop("rightsize_shout", None)
    shutil.rmtree(site)


STRICT_RULE = """  - id: no_api_unless_public
    kind: hard
    when: constraints.privacy != 'public' and option.provider is not None
    text: "Only public data may go to an API ({constraints.privacy} data here)."
    source: "A team policy (test data)"
"""


def test_the_built_in_runners_are_declared_as_entry_points() -> None:
    from importlib.metadata import entry_points

    declared = {ep.name: ep.value for ep in entry_points(group="rightsize.runners")}
    assert declared["local"] == "advisor.runners.local:make_local_runner"
    assert declared["api"] == "advisor.runners.api:make_api_runner"
    assert {"local", "api"} <= set(runner_names())


def test_a_third_party_runner_is_found_and_runs_through_compare(third_party_package: Path) -> None:
    assert "shout" in runner_names()
    runner = make_runner("shout")
    [result] = compare(["make it loud"], {"shout": runner})
    assert result.sides["shout"].text == "MAKE IT LOUD"


def test_an_unknown_runner_names_the_installed_ones() -> None:
    with pytest.raises(RunnerError, match=r"runner: must be one of .*api.*local.*, got 'nope'"):
        make_runner("nope")


def test_a_third_party_rules_file_is_found_by_name_and_decides(third_party_package: Path) -> None:
    assert rules_names() == ["default", "strict"]
    assert rules_path("default") == catalog_dir() / "rules.yaml"
    scenario = advisor.load_scenario(EXAMPLES / "shoe-store.yaml")
    shipped = advisor.recommend(scenario)
    strict = advisor.recommend(scenario, rules="strict")
    assert strict.rules_source == "strict"
    for before, after in zip(shipped.workloads, strict.workloads, strict=True):
        api = [r for r in after.options if r.option.provider is not None]
        assert api and all("no_api_unless_public" in r.excluded_by for r in api)
        assert after.deployment in ("local", "self_hosted")
        assert any(r.option.provider is not None and r.viable for r in before.options)


def test_an_unknown_rules_name_says_what_is_installed() -> None:
    with pytest.raises(CatalogError, match=r"rules: no rules file named 'stricter' \(installed: default\)"):
        rules_path("stricter")
