"""Benchmark one run of the command line against the floor of its stack, and the in-process costs.

    python benchmarks/single.py [--rounds 15]
    python benchmarks/single.py --instructions   # instructions per command instead (valgrind)

The floor is what no run of mcn-advisor can go below: the interpreter importing typer,
rich and tomllib and building one real pydantic model (pydantic imports lazily, so
``import pydantic`` alone would measure nothing). Each round runs the floor and every
command once, in turn, each as a fresh process; a command's ratio is its time over the
floor's in the same round, and the median over rounds is quoted with its spread (a shared
machine drifts from minute to minute; runs side by side see the same machine).

Runs are timed as installed: bytecode caches allowed (``PYTHONDONTWRITEBYTECODE`` is
dropped) and the user's cache folder warm (the warm-up run fills it, as a user's first run
does), colour off. It prints wall-clock and CPU (user + system) ratios, peak RSS, whether
``validate`` imports the pack machinery, and the in-process cost of each step per profile:
its first call (what one run pays) and the later ones (what a batch pays per profile).

With ``--instructions`` it counts instead the instructions each command executes
(cachegrind, after a warm-up run), which do not drift with the machine's load: the figures
to compare changes by (``benchmarks/instructions.py`` does the same for a batch row).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "midsize_mcn_supply_services.toml"
FLOOR = """
import tomllib
import rich.console, rich.table
import typer
from pydantic import BaseModel
class Floor(BaseModel):
    x: int
Floor(x=1)
"""
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "NO_COLOR": "1"}
NO_PACK = (
    "import sys; from mcn_advisor.cli import main; sys.argv = ['mcn-advisor', 'validate', sys.argv[1]]\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "print(sorted(m for m in sys.modules if m.startswith('mcn_advisor.pack')))"
)


def commands() -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "mcn_advisor"]
    profile = str(PROFILE)
    return {
        "floor: typer + rich + tomllib + one pydantic model": [sys.executable, "-c", FLOOR],
        "mcn-advisor --version": [*cli, "--version"],
        "mcn-advisor --help": [*cli, "--help"],
        "mcn-advisor validate PROFILE": [*cli, "validate", profile],
        "mcn-advisor assess PROFILE -f json": [*cli, "assess", profile, "-f", "json"],
        "mcn-advisor assess PROFILE -f markdown": [*cli, "assess", profile, "-f", "markdown"],
        "mcn-advisor assess PROFILE (terminal)": [*cli, "assess", profile],
        "mcn-advisor levers PROFILE": [*cli, "levers", profile],
        "mcn-advisor what-if PROFILE --lever store_onboarding": [
            *cli,
            "what-if",
            profile,
            "--lever",
            "store_onboarding",
        ],
    }


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f}x ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--instructions", action="store_true", help="count instructions (valgrind)")
    args = parser.parse_args()
    rounds = args.rounds
    runs = commands()
    if args.instructions:
        count_instructions(runs)
        return
    for cmd in runs.values():
        timed(cmd)  # warm-up: bytecode, the user's cache folder, the file cache
    seen: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, cmd in runs.items():
            seen[name].append(timed(cmd))
    floor = seen[next(iter(runs))]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load}; {rounds} rounds")
    print("ratio: the median over rounds of the run's time / the floor's in the same round (min-max)")
    print(f"{'command':54} {'wall s':>7} {'wall vs floor':>20} {'CPU vs floor':>20} {'RSS MiB':>8}")
    for name, results in seen.items():
        wall = statistics.median(w for w, _, _ in results)
        walls = [w / f for (w, _, _), (f, _, _) in zip(results, floor, strict=True)]
        cpus = [c / f for (_, c, _), (_, f, _) in zip(results, floor, strict=True)]
        rss = max(r for _, _, r in results) / 1024
        print(f"{name:54} {wall:7.3f} {spread(walls):>20} {spread(cpus):>20} {rss:8.1f}")

    out = subprocess.run(
        [sys.executable, "-c", NO_PACK, str(PROFILE)], env=ENV, capture_output=True, text=True, check=True
    ).stdout.splitlines()[-1]  # after validate's own "PROFILE: ok" line
    print(f"\nmodules of mcn_advisor.pack that validate PROFILE (no accepted risks) imports: {out}")

    sys.path.insert(0, str(ROOT))
    from mcn_advisor.core.engine import assess, evaluate
    from mcn_advisor.pack.compile import builtin_pack
    from mcn_advisor.profile.load import load_profile
    from mcn_advisor.render import get

    pack = builtin_pack()
    profile = load_profile(PROFILE)
    result = assess(profile, pack, profile.as_of)
    n = 200
    per = {
        "load_profile (read + TOML + validate)": lambda: load_profile(PROFILE),
        "evaluate (score, money, rule outcomes)": lambda: evaluate(profile, pack, profile.as_of),
        "assess (the full report model)": lambda: assess(profile, pack, profile.as_of),
        "render as JSON": lambda: get("assessment", "json")(result, "en"),
        "render as Markdown": lambda: get("assessment", "markdown")(result, "en"),
        "render for a terminal": lambda: get("assessment", "terminal", width=80)(result, "en"),
    }
    # A renderer's first call is what one run pays (its imports, cold caches: the line
    # breaker's); the later calls are what each profile of a batch pays.
    print(f"\n{'in process, per profile':48} {'first µs':>9} {'then µs':>8}")
    for name, fn in per.items():
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
        number = n // 10 if "terminal" in name else n  # the slowest: fewer runs
        then = min(timeit.repeat(fn, number=number, repeat=3)) / number
        print(f"{name:48} {first * 1e6:9.0f} {then * 1e6:8.0f}")


def count_instructions(runs: dict[str, list[str]]) -> None:
    """Each command's instructions (millions) and their ratio to the floor's."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from instructions import instructions  # valgrind's count, as for a batch row

    print(f"{'command':54} {'instructions':>13} {'vs floor':>9}")
    floor = 0
    for name, cmd in runs.items():
        timed(cmd)  # warm-up: bytecode, the user's cache folder
        n = instructions(cmd)
        floor = floor or n
        print(f"{name:54} {n / 1e6:12,.0f}M {n / floor:8.2f}x")


if __name__ == "__main__":
    main()
