#!/usr/bin/env python3
"""Where ingest CPU goes: CPU microseconds per request, per hookscope thread, under wrk.

Usage (from the project root, after `cargo build --release`):
    python3 scripts/ingest-cpu.py [--bin target/release/hookscope] [--conns 64] [--secs 8]

Starts `hookscope listen` on 127.0.0.1 with a fresh data dir, loads it with the shared benchmark's
wrk script (../shared/bench/post.lua, a 1 KiB JSON POST), and prints req/s, CPU µs per request for
the busiest threads (from /proc/PID/task/*/stat), bytes written per request (/proc/PID/io wchar)
and context switches per request. Unlike a throughput ratio, these per-request costs change little
with the other load on a shared machine, so they show whether a change made ingest cheaper.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
TICK = os.sysconf("SC_CLK_TCK")


def per_thread(pid: int) -> collections.Counter:
    out: collections.Counter = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        name = re.sub(r"\d+$", "", stat[stat.index("(") + 1 : stat.rindex(")")])
        fields = stat[stat.rindex(")") + 2 :].split()
        out[name] += int(fields[11]) + int(fields[12])
    return out


def switches(pid: int) -> int:
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def wchar(pid: int) -> int:
    return int(re.search(r"wchar: (\d+)", Path(f"/proc/{pid}/io").read_text()).group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/hookscope")
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--secs", type=int, default=8)
    ap.add_argument("--script", default="post.lua",
                    help="wrk script (default: the shared benchmark's post.lua, run from its folder)")
    ap.add_argument("--profiles", type=int, default=0,
                    help="signing profiles to store first (github scheme, paths /other/N/* and /bench/*), "
                         "so every request is verified")
    a = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="hookscope-cpu-")
    for i in range(a.profiles):
        path = "/bench/*" if i == a.profiles - 1 else f"/other/{i}/*"
        subprocess.run([a.bin, "profile", "add", f"p{i}", "--scheme", "github", "--path", path,
                        "--secret-env", "BENCH_SECRET", "--data-dir", data],
                       env={**os.environ, "BENCH_SECRET": "bench-secret"}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = subprocess.Popen([a.bin, "listen", "--port", str(port), "--data-dir", data],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/__hookscope/health", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        before = (per_thread(p.pid), switches(p.pid), wchar(p.pid))
        out = subprocess.run(["wrk", "-t2", f"-c{a.conns}", f"-d{a.secs}s", "-s", str(Path(a.script).resolve()) if a.script != "post.lua" else a.script,
                              f"http://127.0.0.1:{port}/bench/ingest"],
                             cwd=BENCH, capture_output=True, text=True, timeout=a.secs + 30).stdout
        after = (per_thread(p.pid), switches(p.pid), wchar(p.pid))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    n = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    cpu = after[0] - before[0]
    us = lambda ticks: ticks / TICK * 1e6 / n  # noqa: E731
    threads = "  ".join(f"{name} {us(t):.1f}" for name, t in cpu.most_common(4))
    print(f"c{a.conns}: {rps:.0f} req/s; CPU {us(sum(cpu.values())):.1f} µs/request ({threads}); "
          f"{(after[2] - before[2]) / n:.0f} bytes written/request; "
          f"{(after[1] - before[1]) / n:.2f} context switches/request")


if __name__ == "__main__":
    main()
