"""Benchmark: `mcn-advisor batch` against the floor of merely reading, parsing and validating.

Generates N varied, valid profiles (seeded, so every run sees the same files) in a
temporary folder, then times, each as a fresh process, in --repeat rounds:

- floor: one process walks the folder and loads every profile (read + TOML parse +
  validation), nothing else;
- batch --jobs 1 and --jobs 2: the summary only (no --out-dir), table to /dev/null;
- optionally batch --out-dir (one JSON report per profile plus the summaries).

It prints the best wall seconds, profiles per second, the ratio to the floor (the
median over rounds of each run's time over the floor's time in the same round) and
the peak RSS of the largest process (the batch parent or one of its workers), and
finally the RSS growth from the smallest to the largest N.

    python benchmarks/batch.py                      # N = 2,000 and 10,000
    python benchmarks/batch.py --sizes 500 --repeat 1 --reports
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2020-08-27"
PER_FOLDER = 250
FLOOR = """
import os, sys
from mcn_advisor.profile.load import load_profile
n = 0
for here, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".toml"):
            load_profile(os.path.join(here, name))
            n += 1
print(n)
"""
NAMES = ["Spark", "Lihua", "Deer", "Laotie", "Seedling", "Atelier", "Nova", "Panda", "星火", "鹿", "老铁"]
KINDS = ["Live", "Culture", "MCN", "Media", "Studio", "传媒", "文化"]


def _mix(rng: random.Random, keys: list[str], zero: float) -> dict[str, float]:
    """Shares that sum to exactly 1 at three decimals, some of them zero."""
    weights = [0.0 if rng.random() < zero else rng.random() for _ in keys]
    if not any(weights):
        weights[0] = 1.0
    total = sum(weights)
    shares = [round(w / total, 3) for w in weights]
    i = max(range(len(keys)), key=lambda k: shares[k])
    shares[i] = round(shares[i] + 1 - sum(shares), 3)
    return {k: s for k, s in zip(keys, shares, strict=True) if s}


def _table(name: str, values: dict[str, object]) -> str:
    lines = [f"[{name}]"]
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = f'"{value}"'
        elif isinstance(value, list):
            text = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        else:
            text = repr(value)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def profile_text(rng: random.Random, i: int) -> str:
    """One valid profile; optional fields are left out now and then, as real users do."""

    def maybe(values: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in values.items() if rng.random() > 0.15}

    share = lambda: round(rng.random(), 2)  # noqa: E731
    parts = [
        "schema_version = 1\n",
        _table(
            "agency",
            {
                "name": f"{rng.choice(NAMES)} {rng.choice(KINDS)} {i}",
                "monthly_gmv_cny": rng.randrange(100_000, 200_000_000, 1000),
                **maybe(
                    {
                        "creators": rng.randrange(1, 500),
                        "commission_rate": round(rng.uniform(0.05, 0.35), 2),
                        "divert_contract_share": round(rng.uniform(0, 0.4), 2),
                    }
                ),
            },
        ),
        _table(
            "platform_mix",
            _mix(rng, ["douyin_live", "douyin_short_video", "kuaishou", "taobao_live", "other"], 0.3),
        ),
        _table(
            "douyin",
            maybe(
                {
                    "third_party_link_share": share(),
                    "star_map_share": share(),
                    "operates_own_store": rng.random() < 0.3,
                }
            ),
        ),
        _table(
            "supply_chain",
            maybe(
                {
                    "product_selection_team": rng.random() < 0.9,
                    "warehousing": rng.random() < 0.3,
                    "logistics": rng.random() < 0.2,
                    "own_brands": rng.random() < 0.2,
                    "inventory_capital_cny": rng.randrange(0, 20_000_000, 1000),
                    "partners": rng.sample(["suning", "jd", "youzan"], rng.randrange(0, 3)),
                }
            ),
        ),
    ]
    if rng.random() < 0.85:
        parts.append(
            _table(
                "revenue_mix", _mix(rng, ["live_commerce", "advertising", "supply_chain", "services"], 0.2)
            )
        )
    taobao = round(rng.uniform(0, 0.7), 2)
    parts.append(
        _table(
            "clients",
            maybe(
                {
                    "brand_clients": rng.randrange(0, 400),
                    "taobao_linked_share": taobao,
                    "jd_linked_share": round(rng.uniform(0, 1 - taobao), 2),
                    "douyin_store_share": share(),
                    "premium_brand_share": share(),
                    "willing_to_open_store_share": share(),
                }
            ),
        )
    )
    return "\n".join(parts)


def generate(folder: Path, n: int, seed: int = 2020) -> None:
    rng = random.Random(seed)
    for i in range(n):
        sub = folder / f"group{i // PER_FOLDER:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"mcn{i:05d}.toml").write_text(profile_text(rng, i), encoding="utf-8")


# As installed: modules are imported from cached bytecode (some sandboxes turn writing it off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the largest of the process and its waited children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed with {code}:\n{err}")
    return wall, usage.ru_maxrss


def rounds(runs: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, int]]]:
    """Each command ``repeat`` times, taking turns: floor, jobs 1, jobs 2, floor, ...

    On a shared machine the speed drifts from one minute to the next; commands run
    back to back in one round see the same machine, so their ratio is what to compare.
    """
    for cmd in runs.values():
        timed(cmd)  # warm-up: file cache and bytecode
    seen: dict[str, list[tuple[float, int]]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, cmd in runs.items():
            seen[label].append(timed(cmd))
    return seen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--repeat", type=int, default=7, help="rounds of runs [7]")
    ap.add_argument("--reports", action="store_true", help="also time --out-dir (JSON and Markdown reports)")
    args = ap.parse_args()
    py = sys.executable
    rss: dict[str, dict[int, int]] = {}
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load}; {args.repeat} rounds"
    )
    print("seconds: the best round; vs floor: the median, over rounds, of the run's time / the floor's")
    print(f"{'N':>6}  {'run':<22} {'seconds':>8} {'profiles/s':>11} {'vs floor':>9} {'peak RSS':>9}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="mcn-bench-") as tmp:
            folder = Path(tmp, "profiles")
            generate(folder, n)
            batch = [py, "-m", "mcn_advisor", "batch", str(folder), "--as-of", AS_OF]
            runs = {
                "floor (parse+validate)": [py, "-c", FLOOR, str(folder)],
                "batch --jobs 1": [*batch, "--jobs", "1"],
                "batch --jobs 2": [*batch, "--jobs", "2"],
            }
            if args.reports:
                runs["batch --out-dir -j 2"] = [*batch, "--jobs", "2", "--out-dir", str(Path(tmp, "out"))]
            seen = rounds(runs, args.repeat)
            floor = [wall for wall, _ in seen["floor (parse+validate)"]]
            for label, results in seen.items():
                wall = min(w for w, _ in results)
                kib = max(k for _, k in results)
                ratio = statistics.median(w / f for (w, _), f in zip(results, floor, strict=True))
                rss.setdefault(label, {})[n] = kib
                print(
                    f"{n:>6}  {label:<22} {wall:>8.2f} {n / wall:>11,.0f} {ratio:>8.2f}x {kib / 1024:>7.0f}MB"
                )
    if len(args.sizes) > 1:
        lo, hi = min(args.sizes), max(args.sizes)
        print(f"\npeak RSS at N={hi:,} vs N={lo:,}:")
        for label, by_n in rss.items():
            print(f"  {label:<22} {by_n[hi] / by_n[lo]:.2f}x")


if __name__ == "__main__":
    main()
