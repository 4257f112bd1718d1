"""Benchmark: `mcn-advisor batch` against the floors of merely reading and validating its input.

Generates N varied, valid profiles (seeded, so every run sees the same input) as one CSV
file (a survey export, the default) or as a folder of TOML files (--input toml), then
times, each as a fresh process, in --repeat rounds that take turns:

- floor (read+validate): one process reads every profile and validates it, nothing else;
- batch -j N: the summary only (no --out-dir), the table to /dev/null;
- with --reports, also the floor (read+validate+write): the first floor, then two plain
  files per profile of the sizes of its JSON and Markdown reports; and batch --out-dir -j 2
  (both reports per profile, and the three summaries). Each of these runs writes into a new,
  empty folder, as a user's run does, and the disk is synced before each (untimed), so no run
  pays for writing out the files of the one before. Rewriting the files of its own round
  before, the floor created no file at all, while the batch made every one anew; and
  replacing thousands of files just before makes creating files dearer on some file systems
  (ext4 without a journal skips inodes freed in the last minute).

It prints the best wall seconds, profiles per second, the ratio to its floor (the median
over rounds of each run's time over the floor's time in the same round: commands run back
to back see the same machine, which cancels most of the drift of a shared one) and the
peak RSS of the largest process (the batch parent or one of its workers), then the growth
of peak RSS from the smallest N to the largest.

    python benchmarks/batch.py                                    # CSV, N = 10,000 and 50,000
    python benchmarks/batch.py --sizes 2000 --reports             # --out-dir against its floor
    python benchmarks/batch.py --sizes 1000000 --repeat 1 --no-floor   # a million rows
"""

from __future__ import annotations

import argparse
import csv
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
from pathlib import Path
from mcn_advisor.profile.csvfile import read_rows
from mcn_advisor.profile.load import load_profile, profile_from_data

def profiles(path):
    if os.path.isdir(path):
        for here, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".toml"):
                    yield load_profile(os.path.join(here, name))
    else:
        for row in read_rows(Path(path)):
            yield profile_from_data(row.data, f"{path}:{row.number}")

out = sys.argv[2] if len(sys.argv) > 2 else None
if out:
    os.makedirs(out, exist_ok=True)
    blobs = [b"x" * int(size) for size in sys.argv[3:5]]
for n, profile in enumerate(profiles(sys.argv[1])):
    if out:
        for ext, blob in zip(("json", "md"), blobs):
            with open(os.path.join(out, f"p{n}.{ext}"), "wb") as handle:
                handle.write(blob)
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


def profile_data(rng: random.Random, i: int) -> dict[str, dict[str, object]]:
    """One valid profile, by section; optional fields are left out now and then, as real users do."""

    def maybe(values: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in values.items() if rng.random() > 0.15}

    share = lambda: round(rng.random(), 2)  # noqa: E731
    data: dict[str, dict[str, object]] = {
        "agency": {
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
        "platform_mix": _mix(rng, [c.split(".")[1] for c in COLUMNS if c.startswith("platform_mix.")], 0.3),
        "douyin": maybe(
            {
                "third_party_link_share": share(),
                "star_map_share": share(),
                "operates_own_store": rng.random() < 0.3,
            }
        ),
        "supply_chain": maybe(
            {
                "product_selection_team": rng.random() < 0.9,
                "warehousing": rng.random() < 0.3,
                "logistics": rng.random() < 0.2,
                "own_brands": rng.random() < 0.2,
                "inventory_capital_cny": rng.randrange(0, 20_000_000, 1000),
                "partners": rng.sample(["suning", "jd", "youzan"], rng.randrange(0, 3)),
            }
        ),
    }
    if rng.random() < 0.85:
        data["revenue_mix"] = _mix(rng, ["live_commerce", "advertising", "supply_chain", "services"], 0.2)
    taobao = round(rng.uniform(0, 0.7), 2)
    data["clients"] = maybe(
        {
            "brand_clients": rng.randrange(0, 400),
            "taobao_linked_share": taobao,
            "jd_linked_share": round(rng.uniform(0, 1 - taobao), 2),
            "douyin_store_share": share(),
            "premium_brand_share": share(),
            "willing_to_open_store_share": share(),
        }
    )
    return data


COLUMNS = [  # every cell profile_data may fill, as the survey's header
    *("agency.name", "agency.monthly_gmv_cny", "agency.creators", "agency.commission_rate"),
    "agency.divert_contract_share",
    *(f"platform_mix.{k}" for k in ("douyin_live", "douyin_short_video", "kuaishou", "taobao_live", "other")),
    *("douyin.third_party_link_share", "douyin.star_map_share", "douyin.operates_own_store"),
    *(f"supply_chain.{k}" for k in ("product_selection_team", "warehousing", "logistics", "own_brands")),
    *("supply_chain.inventory_capital_cny", "supply_chain.partners"),
    *(f"revenue_mix.{k}" for k in ("live_commerce", "advertising", "supply_chain", "services")),
    *(f"clients.{k}" for k in ("brand_clients", "taobao_linked_share", "jd_linked_share")),
    *(f"clients.{k}" for k in ("douyin_store_share", "premium_brand_share", "willing_to_open_store_share")),
]


def toml_text(data: dict[str, dict[str, object]]) -> str:
    parts = ["schema_version = 1\n"]
    for section, values in data.items():
        lines = [f"[{section}]"]
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
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def csv_cells(data: dict[str, dict[str, object]]) -> dict[str, str]:
    """A profile as CSV cells, the way a survey export writes them."""
    cells = {}
    for section, values in data.items():
        for key, value in values.items():
            if isinstance(value, bool):
                text = "yes" if value else "no"
            elif isinstance(value, list):
                text = ";".join(value) or "none"
            else:
                text = str(value)
            cells[f"{section}.{key}"] = text
    return cells


def generate(where: Path, n: int, kind: str, seed: int = 2020) -> Path:
    """N profiles as ``where/profiles.csv`` or as the folder ``where/profiles``."""
    rng = random.Random(seed)
    if kind == "toml":
        folder = where / "profiles"
        for i in range(n):
            sub = folder / f"group{i // PER_FOLDER:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"mcn{i:05d}.toml").write_text(toml_text(profile_data(rng, i)), encoding="utf-8")
        return folder
    path = where / "profiles.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, ["schema_version", *COLUMNS])
        out.writeheader()
        for i in range(n):
            out.writerow({"schema_version": "1", **csv_cells(profile_data(rng, i))})
    return path


def report_sizes(profiles: Path) -> tuple[int, int]:
    """The mean sizes of a profile's JSON and Markdown reports (the write floor writes as much)."""
    import datetime as dt

    from mcn_advisor.core.engine import assess
    from mcn_advisor.pack.compile import builtin_pack
    from mcn_advisor.profile.csvfile import read_rows
    from mcn_advisor.profile.load import load_profile, profile_from_data
    from mcn_advisor.render import get

    if profiles.is_dir():
        sample = [load_profile(p) for p in sorted(profiles.rglob("*.toml"))[:50]]
    else:
        rows = read_rows(profiles)
        sample = [profile_from_data(row.data, "sample") for row, _ in zip(rows, range(50), strict=False)]
    pack = builtin_pack()
    sizes = [0, 0]
    for profile in sample:
        a = assess(profile, pack, dt.date.fromisoformat(AS_OF))
        for i, fmt in enumerate(("json", "markdown")):
            sizes[i] += len(get("assessment", fmt)(a, "en").encode("utf-8"))
    return sizes[0] // len(sample), sizes[1] // len(sample)


# As installed: modules are imported from cached bytecode (some sandboxes turn writing it off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, the workers' included) and peak RSS (KiB, the
    largest of the process and its waited children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    err = proc.stderr.read().decode() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {code}:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


Seen = dict[str, list[tuple[float, float, int]]]


ROUND = "{round}"  # in a command: the round's name, so that each run writes a folder of its own


def rounds(runs: dict[str, list[str]], repeat: int, warm: bool) -> Seen:
    """Each command ``repeat`` times, taking turns: floor, batch, floor, batch, ..."""

    def run(cmd: list[str], name: str) -> tuple[float, float, int]:
        os.sync()  # untimed: what the run before wrote is on disk before this one starts
        return timed([part.replace(ROUND, name) for part in cmd])

    if warm:
        for cmd in runs.values():
            run(cmd, "warm")  # warm-up: file cache, bytecode, pack cache
    seen: Seen = {label: [] for label in runs}
    for r in range(repeat):
        for label, cmd in runs.items():
            seen[label].append(run(cmd, str(r)))
    return seen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--input", choices=["csv", "toml"], default="csv")
    ap.add_argument("--jobs", type=int, nargs="+", default=[2], help="batch --jobs values to time [2]")
    ap.add_argument("--repeat", type=int, default=5, help="rounds of runs [5]")
    ap.add_argument("--reports", action="store_true", help="also time --out-dir against its floor")
    ap.add_argument("--no-floor", action="store_true", help="time the batch alone (no floor, no warm-up)")
    args = ap.parse_args()
    py = sys.executable
    rss: dict[str, dict[int, int]] = {}
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load}; "
        f"{args.input.upper()} input, {args.repeat} rounds"
    )
    print(
        "seconds: the best round; vs floor: the median, over rounds, of the run's wall time / its floor's "
        "(min-max); CPU: the same for CPU time, workers included"
    )
    print(
        f"{'N':>9}  {'run':<30} {'seconds':>8} {'profiles/s':>11} {'vs floor':>20} {'CPU':>7} {'peak RSS':>9}"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="mcn-bench-") as tmp:
            source = generate(Path(tmp), n, args.input)
            batch = [py, "-m", "mcn_advisor", "batch", str(source), "--as-of", AS_OF]
            runs: dict[str, list[str]] = {}
            floors: dict[str, str] = {}
            if not args.no_floor:
                runs["floor (read+validate)"] = [py, "-c", FLOOR, str(source)]
            for jobs in args.jobs:
                runs[f"batch -j {jobs}"] = [*batch, "--jobs", str(jobs)]
                floors[f"batch -j {jobs}"] = "floor (read+validate)"
            if args.reports:
                sizes = report_sizes(source)
                written = [str(Path(tmp, f"floor-{ROUND}")), *map(str, sizes)]
                runs["floor (read+validate+write)"] = [py, "-c", FLOOR, str(source), *written]
                out = str(Path(tmp, f"out-{ROUND}"))
                runs["batch --out-dir -j 2"] = [*batch, "--jobs", "2", "--out-dir", out]
                floors["batch --out-dir -j 2"] = "floor (read+validate+write)"
            seen = rounds(runs, args.repeat, warm=not args.no_floor)
            for label, results in seen.items():
                wall = min(w for w, _, _ in results)
                kib = max(k for _, _, k in results)
                base = seen.get(floors.get(label, label))
                ratio, cpu = f"{'':>20}", f"{'':>7}"
                if base:
                    walls = [w / f for (w, _, _), (f, _, _) in zip(results, base, strict=True)]
                    cpus = [c / f for (_, c, _), (_, f, _) in zip(results, base, strict=True)]
                    ratio = f"{statistics.median(walls):.2f}x ({min(walls):.2f}-{max(walls):.2f})".rjust(20)
                    cpu = f"{statistics.median(cpus):6.2f}x"
                rss.setdefault(label, {})[n] = kib
                rate = f"{n / wall:>11,.0f}"
                print(f"{n:>9,}  {label:<30} {wall:>8.2f} {rate} {ratio} {cpu} {kib / 1024:>7.0f}MB")
    if len(args.sizes) > 1:
        lo, hi = min(args.sizes), max(args.sizes)
        print(f"\npeak RSS at N={hi:,} vs N={lo:,}:")
        for label, by_n in rss.items():
            print(f"  {label:<30} {by_n[hi] / by_n[lo]:.2f}x")


if __name__ == "__main__":
    main()
