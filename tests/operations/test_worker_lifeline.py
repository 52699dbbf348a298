"""The portable half of "workers die with their master": a worker stops (SIGTERM to itself)
when the master's end of the lifeline pipe closes, with no parent-death signal involved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

WORKER = """
import sys, threading, time
from auth_server.serving.prefork import watch_lifeline
threading.Thread(target=watch_lifeline, args=(int(sys.argv[1]),), daemon=True).start()
print("watching", flush=True)
time.sleep(60)
"""


def test_a_process_watching_the_lifeline_stops_when_its_write_end_closes() -> None:
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(read_end)], pass_fds=(read_end,),
                            stdout=subprocess.PIPE, text=True)
    os.close(read_end)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "watching"
        time.sleep(0.3)
        assert proc.poll() is None  # an open lifeline keeps it running
        started = time.monotonic()
        os.close(write_end)  # what the kernel does for a master that dies, however it dies
        assert proc.wait(timeout=5) == -signal.SIGTERM
        assert time.monotonic() - started < 2
    finally:
        if proc.poll() is None:
            proc.kill()
