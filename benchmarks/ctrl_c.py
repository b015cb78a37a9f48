"""Ctrl-C (or SIGTERM) during `edge-sentiment predict --json --file ... --workers 2`, N times.

Each run sends SIGINT to the whole process group (as a terminal does), or with
``--signal TERM`` SIGTERM to the main process alone (as an orchestrator or ``kill`` does),
at a random moment between start-up and the middle of scoring, then records: exit
status, seconds from the signal to the exit, whether stderr held a traceback,
whether stdout ends on a whole JSON line, and any process of the group still
running half a second later (exited processes waiting to be reaped by init are
not counted). ``--burners N`` runs N CPU-burning processes beside it (heavy load).

    python benchmarks/ctrl_c.py [--runs 50] [--signal INT|TERM] [--burners 0]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or "edge-sentiment"


def write_reviews(path: Path, lines: int) -> None:
    with open(path, "w") as fh:
        for i in range(lines):
            fh.write(f"great film number {i}, the plot was dull but the acting superb\n")


def one_run(reviews: Path, out_path: Path, delay: float, number: int = signal.SIGINT) -> dict:
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([EXE, "predict", "--json", "-f", str(reviews), "--workers", "2"],
                                stdout=out, stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(delay)
        sent = time.monotonic()
        if number == signal.SIGINT:
            os.killpg(proc.pid, number)
        else:
            os.kill(proc.pid, number)
        try:
            _, err = proc.communicate(timeout=30)
            seconds = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"delay": delay, "hung": True}
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-o", "stat=", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    data = out_path.read_bytes()
    try:
        lines = [json.loads(line) for line in data.splitlines()]
        whole = data == b"" or data.endswith(b"\n")
    except ValueError:
        lines, whole = [], False
    return {
        "delay": delay, "hung": False, "status": proc.returncode, "seconds": seconds, "lines": len(lines),
        "whole_lines": whole, "traceback": b"Traceback" in err,
        **({"stderr": err.decode(errors="replace")[-1500:]} if b"Traceback" in err else {}), "left": [s for s in ps if not s.startswith("Z")],
    }


def burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--signal", choices=("INT", "TERM"), default="INT")
    parser.add_argument("--burners", type=int, default=0, help="CPU-burning processes beside the runs")
    args = parser.parse_args()
    runs, number = args.runs, getattr(signal, "SIG" + args.signal)
    status = 128 + number
    rng = random.Random(0)
    burners = [multiprocessing.Process(target=burn, args=(3600,), daemon=True) for _ in range(args.burners)]
    for burner in burners:
        burner.start()
    time.sleep(1)
    print(f"{os.cpu_count()} cores, {args.burners} burners, load average {os.getloadavg()[0]:.2f}; SIG{args.signal}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            reviews, out = Path(folder) / "reviews.txt", Path(folder) / "out.jsonl"
            write_reviews(reviews, 200_000)
            results = [one_run(reviews, out, rng.uniform(0.05, 2.5), number) for _ in range(runs)]
    finally:
        for burner in burners:
            burner.terminate()
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    good = [r for r in results if not r["hung"] and r["status"] == status and r["seconds"] < 1
            and r["whole_lines"] and not r["traceback"] and not r["left"]]
    timed = sorted(r["seconds"] for r in results if not r["hung"])
    print(f"runs {runs}: good {len(good)}; hangs {sum(r['hung'] for r in results)}; "
          f"tracebacks {sum(r.get('traceback', False) for r in results)}; "
          f"cut lines {sum(not r.get('whole_lines', True) for r in results)}; "
          f"left processes {sum(bool(r.get('left')) for r in results)}; "
          f"status != {status}: {sum(r.get('status') != status for r in results if not r['hung'])}")
    if timed:
        print(f"signal -> exit: median {timed[len(timed) // 2]:.2f} s, 90th percentile "
              f"{timed[int(0.9 * (len(timed) - 1))]:.2f} s, max {timed[-1]:.2f} s")
    for r in results:
        if r not in good:
            print("  not good:", r)


if __name__ == "__main__":
    main()
