"""Benchmark the two paths issue 12 found quadratic: a typo in a huge list, a huge pack.

    python benchmarks/bounds.py [--runs 3]

1. ``validate`` a profile whose ``supply_chain.partners`` holds 200,000 texts and one
   number (the error names its line: every key's line is found in one pass).
2. ``assess`` a profile with a pack of 10,000 actions (plan ordering and the cycle
   search are linear).

Each is timed in process (the library call) and as the CLI command (a child process,
start-up included), best of --runs. The floor is ``tomllib.loads`` of the same file,
measured in the same run: parsing TOML (pure Python) is most of the work and no
change here can make it faster, so the ratio says what the rest costs. The same
command at half the size shows the growth: about 2x from half size is linear, 4x
would be quadratic. Targets from the issue: under 1 s and under 2 s (in process);
on a loaded 2-core machine the floor alone can exceed them, hence the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "midsize_mcn_supply_services.toml"
PACK = ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml"


def list_profile(folder: Path, items: int) -> Path:
    """The example profile with ``items`` partners, the last one a number (a typo)."""
    body = "".join(f'  "partner{i}",\n' for i in range(items))
    text = PROFILE.read_text("utf-8").replace("partners = []", f"partners = [\n{body}  42,\n]")
    path = folder / f"list{items}.toml"
    path.write_text(text, "utf-8")
    return path


def wide_pack(folder: Path, actions: int) -> Path:
    """The built-in pack with ``actions`` more actions, every other one waiting for the one before."""
    blocks = []
    for i in range(actions):
        wait = f'depends_on = ["ACT-GEN-{i - 1:05d}"]\n' if i % 2 else ""
        blocks.append(
            f'[[actions]]\nid = "ACT-GEN-{i:05d}"\nstrategy = "own_store"\nphase = "after_ban"\n'
            f'owner = "founder"\neffort = "S"\n{wait}title = {{ en = "Generated {i}", zh = "生成 {i}" }}\n'
            f'kpi = {{ en = "done", zh = "完成" }}\nsources = ["000"]\n'
        )
    text = PACK.read_text("utf-8").replace("# --- fixtures", "\n".join(blocks) + "\n# --- fixtures", 1)
    path = folder / f"pack{actions}.toml"
    path.write_text(text, "utf-8")
    return path


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cli(*args: str) -> Callable[[], object]:
    exe = shutil.which("mcn-advisor")
    cmd = [exe] if exe else [sys.executable, "-m", "mcn_advisor"]
    return lambda: subprocess.run([*cmd, *args], capture_output=True, check=False)


def validate_in_process(path: Path) -> Callable[[], object]:
    from mcn_advisor.errors import InputError
    from mcn_advisor.profile.load import load_profile

    def run() -> None:
        try:
            load_profile(path)
        except InputError as exc:
            assert "supply_chain.partners" in exc.problems[0], exc.problems
        else:
            raise AssertionError("the typo was not found")

    return run


def assess_in_process(pack: Path) -> Callable[[], object]:
    from mcn_advisor import render
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.pack.select import load_packs
    from mcn_advisor.profile.load import load_profile

    def run() -> None:
        packs = load_packs([str(pack)])
        profile = load_profile(PROFILE)
        result = assess_all(profile, packs, profile.as_of or dt.date(2020, 8, 27))
        render.get("assessment", "json")(result, "en")

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for what, size, target, make, in_process, command in (
            ("validate, a list of {:,} items", 200_000, 1.0, list_profile, validate_in_process, "validate"),
            ("assess, a pack of {:,} actions", 10_000, 2.0, wide_pack, assess_in_process, "assess"),
        ):
            path, half = make(folder, size), make(folder, size // 2)
            floor = best(lambda p=path: tomllib.loads(p.read_text("utf-8")), runs)
            inside = best(in_process(path), runs)
            growth = inside / best(in_process(half), runs)
            args = (
                [command, str(path)]
                if command == "validate"
                else ["assess", str(PROFILE), "--policy", str(path)]
            )
            outside = best(cli(*args, "-f", "json") if command == "assess" else cli(*args), runs)
            rows.append((what.format(size), inside, target, floor, growth, outside))
    print(f"best of {runs} runs; floor: tomllib.loads of the same file, in the same run\n")
    print(f"{'case':34} {'in process':>10} {'target':>7} {'floor':>7} {'ratio':>6} {'x2 size':>8} {'CLI':>7}")
    for what, inside, target, floor, growth, outside in rows:
        print(
            f"{what:34} {inside:9.2f}s {target:6.1f}s {floor:6.2f}s {inside / floor:5.2f}x "
            f"{growth:7.2f}x {outside:6.2f}s"
        )


if __name__ == "__main__":
    main()
