"""The catalog ships inside the wheel and loads from an installed copy, far from the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.mark.slow
@pytest.mark.parametrize(("folder", "packaged"), [("catalog", "catalog_data"), ("examples", "examples_data")])
def test_wheel_contains_every_catalog_and_example_file(wheel: Path, folder: str, packaged: str) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    files = [p.relative_to(REPO / folder).as_posix() for p in (REPO / folder).rglob("*") if p.is_file()]
    assert files
    missing = [f for f in files if f"advisor/{packaged}/{f}" not in names]
    assert not missing, missing


@pytest.mark.slow
def test_installed_wheel_loads_its_catalog_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
    )
    script = (
        "import advisor, advisor.data.catalog as c; cat = c.load_catalog();"
        "print(advisor.__file__); print(c.catalog_dir()); print(len(cat.models), len(cat.hardware), len(cat.tasks))"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=True,
        capture_output=True,
        text=True,
    )
    module_file, data_dir, counts = result.stdout.strip().splitlines()
    assert module_file.startswith(str(target))
    assert data_dir.startswith(str(target)) and data_dir.endswith("catalog_data")
    from advisor.data.catalog import load_catalog

    here = load_catalog()
    assert counts == f"{len(here.models)} {len(here.hardware)} {len(here.tasks)}"
