"""`advisor store ...` on the SQLite store in the test's data folder: output, links and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.data.scenarios import load_scenario
from advisor.engine.recommend import recommend
from tests.conftest import EXAMPLES

SHOE = EXAMPLES / "shoe-store.yaml"


@pytest.fixture(autouse=True)
def own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADVISOR_DB_URL", raising=False)
    monkeypatch.setenv("ADVISOR_PUBLIC_URL", "https://rightsize.example.com")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_save_list_show_history_diff_rename_delete(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "store", "save", str(SHOE), "--format", "json")
    assert code == 0
    first = json.loads(out)
    assert first["version"] == 1
    assert first["link"] == f"https://rightsize.example.com/recommendation?s={first['id']}"
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(SHOE.read_text().replace("requests_per_day: 20000", "requests_per_day: 90000"))
    code, out, _ = run(capsys, "store", "save", str(bigger))
    assert out.splitlines() == [
        f"saved 'Shoe store AI' as version 2 (id {first['id']})",
        f"link: https://rightsize.example.com/recommendation?s={first['id']}",
    ]

    code, out, _ = run(capsys, "store", "list", "--format", "json")
    (listed,) = json.loads(out)
    assert listed["versions"] == 2
    assert listed["total_monthly_cost_usd"] == pytest.approx(recommend(load_scenario(bigger)).total_monthly_cost_usd)

    code, out, _ = run(capsys, "store", "show", first["id"], "--version", "1", "--format", "yaml")
    assert load_scenario_text(out) == load_scenario(SHOE).to_dict()
    code, out, _ = run(capsys, "store", "open", "Shoe store AI")
    assert out.startswith(f"Shoe store AI  (id {first['id']})\n  version 2 (current)")
    assert "requests_per_day: 90000" in out

    code, out, _ = run(capsys, "store", "history", "Shoe store AI")
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["2", "1"]
    code, out, _ = run(capsys, "store", "diff", "Shoe store AI", "1")
    assert "~ workloads[support-chat].requests_per_day: 20,000 -> 90,000" in out
    assert "~ total per month: $" in out

    code, out, _ = run(capsys, "store", "rename", "Shoe store AI", "ACME shoes")
    assert out == f"renamed 'Shoe store AI' to 'ACME shoes' (id {first['id']}; its link and history stay)\n"
    code, out, _ = run(capsys, "store", "list", "--search", "acme")
    assert "ACME shoes" in out
    code, out, _ = run(capsys, "store", "delete", first["id"])
    assert out == "deleted 'ACME shoes' and its 2 versions\n"
    code, out, _ = run(capsys, "store", "list")
    assert out == "(no saved scenarios yet: advisor store save FILE)\n"


def load_scenario_text(text: str) -> dict[str, object]:
    from advisor.data.scenarios import parse_scenario

    return parse_scenario(text).to_dict()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["store", "show", "nothing-here"], "scenario: no saved scenario is named 'nothing-here' or has that id"),
        (["store", "show", "Shoe store AI", "--version", "5"], "version: 'Shoe store AI' has versions 1 to 1, got 5"),
        (["store", "save", str(SHOE), "--name", ""], "name: must be 1 to 200 characters, got 0"),
        (["store", "rename", "Shoe store AI", "a\u0007b"], "name: must not contain control or invisible characters"),
    ],
)
def test_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert run(capsys, "store", "save", str(SHOE))[0] == 0
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith(f"advisor: error: {message}") and err.count("\n") == 1


def test_store_problems_are_one_line_without_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "scenarios.db").write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "store", "list")
    assert code == 2 and err.count("\n") == 1
    assert f"scenario store {isolated_home / 'scenarios.db'}: the file is damaged" in err
    monkeypatch.setenv("ADVISOR_DB_URL", "postgresql://sales:hunter2-secret@127.0.0.1:1/rightsize")
    code, _, err = run(capsys, "store", "list")
    assert code == 2 and err.count("\n") == 1 and "hunter2" not in err
    assert "postgresql://sales:***@127.0.0.1:1/rightsize: cannot connect" in err
    monkeypatch.setenv("ADVISOR_DB_URL", f"sqlite:///{isolated_home / 'ok.db'}")
    monkeypatch.setenv("ADVISOR_PUBLIC_URL", "https://user:pw@host")
    code, _, err = run(capsys, "store", "save", str(SHOE))
    assert code == 2 and err.startswith("advisor: error: ADVISOR_PUBLIC_URL: must be an http:// or https:// address")
    monkeypatch.delenv("ADVISOR_PUBLIC_URL")
    assert run(capsys, "store", "list")[1] == "(no saved scenarios yet: advisor store save FILE)\n"  # nothing saved


def test_a_report_of_a_saved_scenario_by_name_id_and_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import csv

    code, out, _ = run(capsys, "store", "save", str(SHOE), "--format", "json")
    short_id = json.loads(out)["id"]
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(SHOE.read_text().replace("requests_per_day: 20000", "requests_per_day: 90000"))
    run(capsys, "store", "save", str(bigger))
    totals = {}
    for ref, version in ((short_id, "1"), ("Shoe store AI", None)):
        target = tmp_path / f"report-{version or 'latest'}.csv"
        code, _, err = run(
            capsys, "report", "--id", ref, *(["--version", version] if version else []), "-o", str(target)
        )
        assert code == 0, err
        with target.open(newline="") as file:
            rows = list(csv.DictReader(file))
        totals[version] = rows
    assert totals["1"] != totals[None]  # version 1 (20,000 a day) and the latest (90,000 a day) differ
    code, _, err = run(capsys, "report", str(SHOE), "--id", short_id, "-o", str(tmp_path / "x.csv"))
    assert (
        code == 2
        and err.startswith("advisor: error: report: give either a scenario file or --id")
        and err.count("\n") == 1
    )
    assert "not both" in err
    code, _, err = run(capsys, "report", "--id", "no such scenario", "-o", str(tmp_path / "x.csv"))
    assert code == 2 and "no such scenario" in err and err.count("\n") == 1
