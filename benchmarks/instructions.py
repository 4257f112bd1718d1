"""Benchmark: the work a batch does for one row, in instructions, against the floor's.

Wall times on a shared machine move with its load; the instructions a process executes do
not (valgrind's cachegrind counts them, the same on every run). This script generates the
same seeded survey as ``batch.py``, counts the instructions of the floor (one process that
reads and validates every row) and of ``mcn-advisor batch --jobs 1`` (one process: every
row's work in it), each at 1 row and at N rows, and prints the work per row as the
difference over N - 1 rows (start-up cancels out) and its ratio to the floor's. With
``--reports`` it also counts ``batch --out-dir`` (both reports per profile, the summaries).
Needs valgrind (``apt-get install valgrind``); slow (valgrind runs a program ~50x slower).

    python benchmarks/instructions.py                 # N = 1,000
    python benchmarks/instructions.py --rows 100 --reports     # --out-dir is ~30x the work a row
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import AS_OF, ENV, FLOOR, generate  # noqa: E402  (the same survey and floor)

REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(cmd: list[str]) -> int:
    """The instructions ``cmd`` executes in its own process (children not followed)."""
    run = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        check=False,
    )
    found = REFS.search(run.stderr)
    if found is None:
        sys.exit(f"valgrind gave no count for {' '.join(cmd)}:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1000, help="N, the larger survey (default 1,000)")
    ap.add_argument("--reports", action="store_true", help="also count batch --out-dir")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        surveys = {}
        for n in (1, args.rows):
            where = Path(tmp, f"n{n}")
            where.mkdir()
            surveys[n] = generate(where, n, "csv")
        batch = [sys.executable, "-m", "mcn_advisor", "batch", "--as-of", AS_OF, "--jobs", "1"]
        runs = {
            "floor (read+validate)": lambda p, n: [sys.executable, "-c", FLOOR, str(p)],
            "batch --jobs 1": lambda p, n: [*batch, str(p)],
        }
        if args.reports:
            runs["batch --out-dir --jobs 1"] = lambda p, n: [
                *batch,
                str(p),
                "--out-dir",
                str(Path(tmp, f"out{n}")),
            ]
        for cmd in runs.values():  # warm: bytecode written, the pack cache filled, as for a user
            subprocess.run(
                cmd(surveys[1], 0), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=False
            )
        per_row = {}
        print(f"instructions (cachegrind), per row = (N={args.rows:,} rows - 1 row) / {args.rows - 1:,}")
        print(f"{'run':30}  {'1 row':>15}  {f'{args.rows:,} rows':>15}  {'per row':>12}  {'vs floor':>8}")
        for name, cmd in runs.items():
            one, many = (instructions(cmd(surveys[n], n)) for n in (1, args.rows))
            per_row[name] = (many - one) / (args.rows - 1)
            floor = per_row["floor (read+validate)"]
            print(
                f"{name:30}  {one:>15,}  {many:>15,}  {per_row[name]:>12,.0f}  {per_row[name] / floor:>7.2f}x"
            )


if __name__ == "__main__":
    main()
