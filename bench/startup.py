#!/usr/bin/env python3
"""How fast the desktop app starts, and how much memory it holds.

Starts the real ``sigil`` process (fresh data dir, free ports, embedded server on) a few
times and prints, per run and as the median:

- window shown: process start -> the main window's first show (the app prints when)
- content ready: process start -> wallet, wizard/unlock/tabs built into that window
- API ready:    process start -> the first 200 from ``GET /api/status`` (polled from here)
- RSS:          resident memory (VmRSS) once the API and the embedded server both answer

Targets: window under 1.5 s, RSS under 150 MB. Uses Xvfb when there is no $DISPLAY (falls
back to Qt's offscreen platform when Xvfb is missing). Run: ``.venv/bin/python -m bench.startup``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.helpers.net import free_port

REPO = Path(__file__).resolve().parents[1]
SIGIL = REPO / ".venv" / "bin" / "sigil"
WINDOW_TARGET_S = 1.5
RSS_TARGET_MB = 150.0


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def start_display() -> tuple[subprocess.Popen | None, dict]:
    if os.environ.get("DISPLAY"):
        return None, {"QT_QPA_PLATFORM": "xcb"}
    if not shutil.which("Xvfb"):
        return None, {"QT_QPA_PLATFORM": "offscreen"}
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    return proc, {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}


def one_run(display_env: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp:
        signer_port, server_port = free_port(), free_port()
        env = {**os.environ, **display_env, "SIGIL_DATA_DIR": tmp, "SIGIL_SIGNER_PORT": str(signer_port),
               "SIGIL_PORT": str(server_port)}
        started = time.time()
        app = subprocess.Popen([str(SIGIL)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            window_s = None
            api_s = None
            deadline = time.time() + 30
            while api_s is None and time.time() < deadline:
                if answers(f"http://127.0.0.1:{signer_port}/api/status"):
                    api_s = time.time() - started
                else:
                    time.sleep(0.01)
            ready_s = None
            while (window_s is None or ready_s is None) and time.time() < deadline:
                line = app.stdout.readline()
                match = re.search(r"window (shown|ready) after [\d.]+ s \(at ([\d.]+)\)", line)
                if match and match.group(1) == "shown":
                    window_s = float(match.group(2)) - started
                elif match:
                    ready_s = float(match.group(2)) - started
            while not answers(f"http://127.0.0.1:{server_port}/") and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            memory = rss_mb(app.pid)
        finally:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        return {"window": window_s, "ready": ready_s, "api": api_s, "rss": memory}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not SIGIL.exists():
        print(f"{SIGIL} is missing; run `make setup` first", file=sys.stderr)
        return 1
    xvfb, display_env = start_display()
    try:
        one_run(display_env)  # warm the file cache, as a second launch by a user would
        runs = [one_run(display_env) for _ in range(args.runs)]
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    print(f"sigil startup ({args.runs} runs, {display_env['QT_QPA_PLATFORM']}, embedded server on)")
    for i, run in enumerate(runs, 1):
        print(f"  run {i}: window shown {run['window']:.3f} s   content ready {run['ready']:.3f} s   "
              f"API ready {run['api']:.3f} s   RSS {run['rss']:.1f} MB")
    window = statistics.median(r["window"] for r in runs)
    api = statistics.median(r["api"] for r in runs)
    ready = statistics.median(r["ready"] for r in runs)
    rss = statistics.median(r["rss"] for r in runs)
    print(f"median: window shown {window:.3f} s (target < {WINDOW_TARGET_S} s)   content ready {ready:.3f} s   API ready {api:.3f} s   "
          f"RSS {rss:.1f} MB (target < {RSS_TARGET_MB:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
