"""Where the advisor keeps what it writes: measurements, the scenario store's SQLite file, downloaded models.

$ADVISOR_HOME, default ~/.cache/rightsize. Kept apart from the modules that write there so that each of them can
ask without importing the others.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


def data_dir() -> Path:
    home = os.environ.get("ADVISOR_HOME")
    return Path(home) if home else _default_dir()


@functools.cache
def _default_dir() -> Path:
    # Path.home() looks the user up each time.
    return Path.home() / ".cache" / "rightsize"
