"""Count, per benchmark and MMLU subject group, how often a small and a large model answer the same question right.

The counts come from RouteLLM's published per-query results (Mixtral-8x7B-Instruct vs GPT-4-1106-preview), reduced
to one boolean per model and question. They are the ground truth behind the `benchmarks:` block of
catalog/routing.yaml; the advisor reads that block and never these CSV files.

    python scripts/derive_routing.py DATA_DIR            # print the block
    python scripts/derive_routing.py DATA_DIR --write    # replace the block in catalog/routing.yaml

DATA_DIR holds the reduced CSV files (gsm8k.csv, mmlu.csv) made from the RouteLLM files named in SOURCES.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROUTING_YAML = REPO / "catalog" / "routing.yaml"
BEGIN_MARK = "  # BEGIN derived by scripts/derive_routing.py - do not edit by hand"
END_MARK = "  # END derived"

SMALL_MODEL = "mixtral-8x7b-instruct-v0.1"
LARGE_MODEL = "gpt-4-1106-preview"
SMALL_COLUMN = "mixtral_8x7b_correct"
LARGE_COLUMN = "gpt4_1106_correct"

SOURCES = {
    "gsm8k.csv": "routellm/evals/gsm8k/gsm8k_responses.csv",
    "mmlu.csv": "routellm/evals/mmlu/responses/mmlu_*.csv",
}
"""Where each reduced file comes from in the lm-sys/RouteLLM repository."""


@dataclass(frozen=True)
class Group:
    """A benchmark, or a set of MMLU subjects pooled into one difficulty mix."""

    file: str
    name: str
    subjects: tuple[str, ...] = ()


MMLU_STEM = (
    # MMLU's own STEM category (physics, chemistry, biology, computer science, maths, engineering).
    "abstract_algebra", "astronomy", "college_biology", "college_chemistry", "college_computer_science",
    "college_mathematics", "college_physics", "computer_security", "conceptual_physics", "electrical_engineering",
    "elementary_mathematics", "high_school_biology", "high_school_chemistry", "high_school_computer_science",
    "high_school_mathematics", "high_school_physics", "high_school_statistics", "machine_learning",
)  # fmt: skip

MMLU_MEDICINE = (
    "clinical_knowledge", "college_medicine", "professional_medicine", "medical_genetics", "anatomy", "nutrition",
    "virology",
)  # fmt: skip

GROUPS: dict[str, Group] = {
    "gsm8k": Group("gsm8k.csv", "GSM8K: grade-school maths word problems, multi-step reasoning"),
    "mmlu": Group("mmlu.csv", "MMLU: multiple-choice knowledge questions, all 57 subjects"),
    "mmlu_law": Group("mmlu.csv", "MMLU law subjects", ("professional_law", "international_law", "jurisprudence")),
    "mmlu_medicine": Group("mmlu.csv", "MMLU medicine subjects", MMLU_MEDICINE),
    "mmlu_stem": Group("mmlu.csv", "MMLU STEM subjects", MMLU_STEM),
}


@dataclass(frozen=True)
class Counts:
    """How many questions each model got right, split four ways."""

    both_correct: int
    only_small_correct: int
    only_large_correct: int
    neither_correct: int

    @property
    def n(self) -> int:
        return self.both_correct + self.only_small_correct + self.only_large_correct + self.neither_correct


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def count(rows: Iterable[dict[str, str]], subjects: tuple[str, ...] = (), exclude_contaminated: bool = False) -> Counts:
    """The 2x2 table over `rows`, restricted to `subjects` when given (MMLU)."""
    tally = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for row in rows:
        if subjects and row["subject"] not in subjects:
            continue
        if exclude_contaminated and row["contaminated"] == "1":
            continue
        tally[(row[SMALL_COLUMN] == "1", row[LARGE_COLUMN] == "1")] += 1
    return Counts(
        both_correct=tally[(True, True)],
        only_small_correct=tally[(True, False)],
        only_large_correct=tally[(False, True)],
        neither_correct=tally[(False, False)],
    )


def derive(data_dir: Path, exclude_contaminated: bool = False) -> dict[str, Counts]:
    """Counts for every group in GROUPS, read from the CSV files in `data_dir`."""
    rows_by_file = {name: read_rows(data_dir / name) for name in {g.file for g in GROUPS.values()}}
    derived: dict[str, Counts] = {}
    for group_id, group in GROUPS.items():
        rows = rows_by_file[group.file]
        if group.subjects:
            known = {row["subject"] for row in rows}
            unknown = sorted(set(group.subjects) - known)
            if unknown:
                raise SystemExit(f"{group_id}: subjects not in {group.file}: {', '.join(unknown)}")
        derived[group_id] = count(rows, group.subjects, exclude_contaminated)
    return derived


def benchmarks_block(derived: dict[str, Counts], exclude_contaminated: bool = False) -> str:
    """The YAML lines between BEGIN_MARK and END_MARK (the marks included)."""
    rows_note = "uncontaminated rows" if exclude_contaminated else "all rows"
    lines = [BEGIN_MARK]
    for group_id, counts in derived.items():
        group = GROUPS[group_id]
        where = SOURCES[group.file]
        scope = f"{len(group.subjects)} MMLU subjects, {rows_note}" if group.subjects else rows_note
        lines += [
            f"  {group_id}:",
            f'    name: "{group.name}"',
            f"    small_model: {SMALL_MODEL}",
            f"    large_model: {LARGE_MODEL}",
        ]
        if group.subjects:
            lines.append("    subjects: [" + ", ".join(group.subjects) + "]")
        lines += [
            f"    both_correct: {counts.both_correct}",
            f"    only_small_correct: {counts.only_small_correct}",
            f"    only_large_correct: {counts.only_large_correct}",
            f"    neither_correct: {counts.neither_correct}",
            f'    source: "RouteLLM per-query results (github.com/lm-sys/RouteLLM, Apache-2.0, {where}),'
            f' {SMALL_MODEL} vs {LARGE_MODEL}; {counts.n} questions ({scope}) counted by scripts/derive_routing.py"',
        ]
    lines.append(END_MARK)
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str) -> str:
    """`text` with the lines from BEGIN_MARK to END_MARK replaced by `block`."""
    start = text.index(BEGIN_MARK)
    end = text.index(END_MARK, start) + len(END_MARK) + 1
    return text[:start] + block + text[end:]


def summary(derived: dict[str, Counts]) -> str:
    lines = [f"{'benchmark':<14} {'n':>6} {'small':>6} {'large':>6} {'u':>6} {'oracle':>6}"]
    for group_id, c in derived.items():
        lines.append(
            f"{group_id:<14} {c.n:>6} {(c.both_correct + c.only_small_correct) / c.n:>6.3f}"
            f" {(c.both_correct + c.only_large_correct) / c.n:>6.3f} {c.only_large_correct / c.n:>6.3f}"
            f" {(c.n - c.neither_correct) / c.n:>6.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="folder with the reduced CSV files (gsm8k.csv, mmlu.csv)")
    parser.add_argument(
        "--exclude-contaminated",
        action="store_true",
        help="drop rows RouteLLM flags as overlapping its router training data",
    )
    parser.add_argument("--write", action="store_true", help=f"replace the block in {ROUTING_YAML.name}")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"{args.data_dir}: no such folder (pass the folder holding gsm8k.csv and mmlu.csv)")
    derived = derive(args.data_dir, args.exclude_contaminated)
    block = benchmarks_block(derived, args.exclude_contaminated)
    print(summary(derived), file=sys.stderr)
    if args.write:
        ROUTING_YAML.write_text(replace_block(ROUTING_YAML.read_text(encoding="utf-8"), block), encoding="utf-8")
        print(f"wrote {ROUTING_YAML}", file=sys.stderr)
    else:
        sys.stdout.write(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
