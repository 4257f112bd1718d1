"""Benchmark one assessment: start-up, a whole `assess` run, and the in-process cost.

    python benchmarks/single.py [--runs 7]

Prints the best and median wall-clock seconds of each command over --runs runs (the
first run of each is a warm-up), the import floor of the libraries the CLI needs, and
the in-process cost of `evaluate` and `assess` per profile. Peak memory (max RSS) of
each command is read from the child process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "midsize_mcn_supply_services.toml"


def _cli() -> list[str]:
    exe = shutil.which("mcn-advisor")
    return [exe] if exe else [sys.executable, "-m", "mcn_advisor"]


_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(cmd: list[str], runs: int) -> tuple[float, float, int]:
    """Best and median seconds over ``runs`` runs, and the peak RSS in KiB of one run."""
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
        times.append(time.perf_counter() - start)
    # A fresh parent per measurement: RUSAGE_CHILDREN keeps the largest child it has seen.
    out = subprocess.run(
        [sys.executable, "-c", _RSS, *cmd], env=env, check=True, capture_output=True, text=True
    ).stdout
    return min(times), statistics.median(times), int(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs

    floor = [sys.executable, "-c", "import typer, rich.console, rich.table, pydantic"]
    commands = {
        "python (interpreter only)": [sys.executable, "-c", "pass"],
        "import typer + rich + pydantic (the floor)": floor,
        "mcn-advisor --version": [*_cli(), "--version"],
        "mcn-advisor assess PROFILE -f json": [*_cli(), "assess", str(PROFILE), "-f", "json"],
        "mcn-advisor assess PROFILE -f markdown": [*_cli(), "assess", str(PROFILE), "-f", "markdown"],
        "mcn-advisor assess PROFILE (terminal)": [*_cli(), "assess", str(PROFILE)],
        "mcn-advisor levers PROFILE": [*_cli(), "levers", str(PROFILE)],
        "mcn-advisor what-if PROFILE --lever store_onboarding": [
            *_cli(),
            "what-if",
            str(PROFILE),
            "--lever",
            "store_onboarding",
        ],
    }
    print(f"{'command':56} {'best s':>7} {'median s':>9} {'max RSS MiB':>12}")
    for name, cmd in commands.items():
        best, median, rss = timed(cmd, runs)
        print(f"{name:56} {best:7.3f} {median:9.3f} {rss / 1024:12.1f}")

    sys.path.insert(0, str(ROOT))
    from mcn_advisor.core.engine import assess, evaluate
    from mcn_advisor.pack.compile import builtin_pack
    from mcn_advisor.profile.load import load_profile

    pack = builtin_pack()
    profile = load_profile(PROFILE)
    n = 2000
    per = {
        "load_profile (read + TOML + validate)": lambda: load_profile(PROFILE),
        "evaluate (score, money, rule outcomes)": lambda: evaluate(profile, pack, profile.as_of),
        "assess (the full report model)": lambda: assess(profile, pack, profile.as_of),
    }
    print()
    print(f"{'in process, per profile':48} {'µs':>7} {'per second':>10}")
    for name, fn in per.items():
        seconds = min(timeit.repeat(fn, number=n, repeat=3)) / n
        print(f"{name:48} {seconds * 1e6:7.0f} {1 / seconds:10,.0f}")


if __name__ == "__main__":
    main()
