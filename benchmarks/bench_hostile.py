"""Hostile-input benchmark: how long and how much memory `beltdoctor ingest` takes to answer each file of
the hostile corpus (tests/data/hostile/make_hostile.py), accepted or refused.

Why: the Upload page runs the same ingest inside the server, so one crafted file must not be able to take
minutes or gigabytes (issue #15). Target: every file answered in <= 10 s and <= 1 GiB on 2 cores.

Each file is ingested by `python -m diagnosis ingest FILE --json` in a fresh process, one at a time, under
the limits the corpus test uses (RLIMIT_AS 3 GiB, RLIMIT_CPU 60 s). Wall time is measured around the whole
process, interpreter start included (the start-up alone, imports and all, is measured on a missing file and
printed, so it can be subtracted by eye); peak memory is the child's own `ru_maxrss` from `os.wait4`. Linux starts a
child's `ru_maxrss` at the parent's resident size at fork, so the parent stays small (the corpus is written
by a separate process) and its size is printed as the floor of the memory column.

This is a measurement, not a test: a missed target is printed as MISSED and the exit code stays 0. Exit
code 1 means a file got an answer other than exit 0 or 2, or a traceback.

    python -m benchmarks.bench_hostile [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "benchmarks" / "out"
GENERATOR = REPO_ROOT / "tests" / "data" / "hostile" / "make_hostile.py"

TIME_TARGET = 10.0
MEMORY_TARGET_MIB = 1024
ADDRESS_SPACE = 3 * 2**30
CPU_SECONDS = 60
WALL_SECONDS = 120


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _manifest() -> list[dict]:
    """The cases as plain data, read in a child so this process never imports openpyxl or pandas."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); from make_hostile import CASES; "
        "print(json.dumps([{'name': c.name, 'klass': c.klass, 'outcome': c.outcome, 'code': c.code, 'env': c.env} for c in CASES]))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(GENERATOR.parent)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _child_env(cache: Path, extra: dict[str, str]) -> dict[str, str]:
    """A shared bytecode cache, so a venv without .pyc files does not compile pandas in every child."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(cache)} | extra


def _measure(args: list[str], env: dict[str, str]) -> dict:
    """Run one child to the end; its exit code, wall seconds, peak RSS (MiB) and whether it printed a traceback."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "diagnosis", *args], cwd=REPO_ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_limit_child,
        )
        watchdog = threading.Timer(WALL_SECONDS, proc.kill)
        watchdog.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen so it does not wait again
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    return {
        "exit": proc.returncode,
        "seconds": seconds,
        "peak_mib": usage.ru_maxrss / 1024,
        "traceback": "Traceback" in stderr,
        "stderr_tail": stderr.strip().splitlines()[-1][:160] if stderr.strip() else "",
    }


def _own_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(folder: Path, cache: Path) -> dict:
    start = time.perf_counter()
    subprocess.run([sys.executable, str(GENERATOR), str(folder)], check=True, capture_output=True)
    cases = _manifest()
    generated = time.perf_counter() - start
    base_env = _child_env(cache, {})
    _measure(["ingest", str(folder / cases[0]["name"]), "--json"], base_env)  # fills the bytecode cache
    missing = str(folder / "no-such-file.csv")  # imports the ingest, then exits 2: the start-up alone
    startup = min(_measure(["ingest", missing], base_env)["seconds"] for _ in range(3))
    results = []
    for case in cases:
        measured = _measure(["ingest", str(folder / case["name"]), "--json", "--lang", "en"], _child_env(cache, case["env"]))
        results.append(case | measured | {"bytes": (folder / case["name"]).stat().st_size})
    return {
        "files": len(results),
        "generate_seconds": generated,
        "startup_seconds": startup,
        "parent_rss_mib": _own_rss_mib(),
        "results": results,
        "targets": {"seconds": TIME_TARGET, "peak_mib": MEMORY_TARGET_MIB},
        "environment": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
            "platform": platform.platform(),
        },
    }


def _print_report(report: dict) -> None:
    print(f"{'file':<42} {'class':<20} {'expected':<28} {'exit':>4} {'seconds':>8} {'peak MiB':>9}")
    for r in report["results"]:
        expected = r["code"] or "ok"
        flag = "  TRACEBACK" if r["traceback"] else ""
        print(f"{r['name']:<42} {r['klass']:<20} {expected:<28} {r['exit']:>4} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f}{flag}")
    worst_time = max(report["results"], key=lambda r: r["seconds"])
    worst_memory = max(report["results"], key=lambda r: r["peak_mib"])
    time_ok = worst_time["seconds"] <= TIME_TARGET
    memory_ok = worst_memory["peak_mib"] <= MEMORY_TARGET_MIB
    print(f"\n{report['files']} files, {report['environment']['cpu_count']} CPUs, load {report['environment']['load_average_1min']:.1f}; "
          f"interpreter start-up {report['startup_seconds']:.2f}s; parent RSS (memory floor) {report['parent_rss_mib']:.0f} MiB")
    print(f"worst time:   {worst_time['seconds']:.2f}s  {worst_time['name']}  (target <= {TIME_TARGET:g}s)  {'PASS' if time_ok else 'MISSED'}")
    print(f"worst memory: {worst_memory['peak_mib']:.0f} MiB  {worst_memory['name']}  (target <= {MEMORY_TARGET_MIB} MiB)  "
          f"{'PASS' if memory_ok else 'MISSED'}")
    broken = [r["name"] for r in report["results"] if r["exit"] not in (0, 2) or r["traceback"]]
    if broken:
        print(f"NOT ANSWERED (exit other than 0/2, or a traceback): {', '.join(broken)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help=f"keep the corpus in {OUT_DIR / 'hostile'}")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench_hostile_") as tmp:
        folder = OUT_DIR / "hostile" if args.keep else Path(tmp) / "corpus"
        report = _run(folder, Path(tmp) / "pycache")
    (OUT_DIR / "bench_hostile.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _print_report(report)
    print(f"\nwrote {OUT_DIR / 'bench_hostile.json'}")
    return 1 if any(r["exit"] not in (0, 2) or r["traceback"] for r in report["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
