"""The scenario store on SQLite: saving a scenario with its recommendation (a new version each time) and opening it
by short id (read, parse and validate the scenario), on a store already open, as the app and `advisor store` use it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .common import median_seconds, write_result


def run() -> dict[str, object]:
    from advisor.data.examples import default_scenario
    from advisor.data.scenarios import saved_scenario
    from advisor.data.store import open_store
    from advisor.engine.recommend import recommend

    scenario = default_scenario()
    result = recommend(scenario).to_dict()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'scenarios.db'}")
        saved = store.save(scenario, result=result)

        def save() -> None:
            store.save(scenario, result=result)

        def open_saved() -> None:
            assert saved_scenario(store.open(saved.id)).name == scenario.name

        save_s = median_seconds(save, repeats=50, warmup=3)
        open_s = median_seconds(open_saved, repeats=50, warmup=3)
        versions = store.get(saved.id).versions
        store.close()
    return write_result(
        "store",
        {
            "backend": "sqlite (WAL, synchronous=FULL)",
            "save_s": save_s,
            "open_s": open_s,
            "versions_at_end": versions,
            "target": "save < 50 ms, open < 50 ms",
        },
    )


if __name__ == "__main__":
    print(run())
