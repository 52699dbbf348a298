"""The pre-fork supervisor: N worker processes serve one port, the master keeps them alive.

The GIL lets one process use one core; forking lets a multi-core machine use them all.
This module knows processes, sockets and signals only: what a worker runs after the fork
(open its store, build the app, serve) is given by :mod:`auth_server.serving.bootstrap`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

from auth_server.serving.server import restore_signals, reuseport_socket, stop_on_signals

log = logging.getLogger("sigil.server")


def supervise(host: str, sockets: list[socket.socket], workers: int, run_worker: Callable[[socket.socket], int],
              started: Callable[[], None]) -> int:
    """Fork ``workers`` processes on ``sockets``, call ``started()``, and restart dead workers
    until SIGINT/SIGTERM; then stop them all. Returns the exit status."""
    supervisor = WorkerSupervisor(host, sockets, workers, run_worker)
    supervisor.start_all()
    started()
    stop = threading.Event()
    previous = stop_on_signals(stop)
    try:
        while not stop.wait(SUPERVISE_INTERVAL_SECONDS):
            supervisor.reap_and_restart()
    finally:
        supervisor.stop_all()
        restore_signals(previous)
        log.info("stopped")
    return 0


#: how often the master looks for exited workers (and restarts the ones due)
SUPERVISE_INTERVAL_SECONDS = 0.25
#: a worker that exits sooner than this after its start counts as a crash on start-up ...
QUICK_EXIT_SECONDS = 10.0
#: ... and each one in a row doubles the wait before the next restart, up to this
MAX_RESTART_DELAY_SECONDS = 30.0


class WorkerSupervisor:
    """The master's side of ``--workers``: fork one worker per slot, restart a slot whose
    worker dies, and make every worker die with the master.

    A worker that exits (a crash, the OOM killer, an operator's ``kill -9``) is restarted
    at once; one that keeps dying right after its start is restarted after 0.5, 1, 2 ...
    up to 30 s, so a crash loop (an unreadable database) costs a fork every 30 s, not a
    spinning core. With a socket per worker (``SO_REUSEPORT``), the master closes a dead
    worker's socket, so the kernel sends new connections to the live workers meanwhile
    instead of leaving them in a backlog nobody accepts from, and opens a new one for
    the replacement.
    """

    def __init__(self, host: str, sockets: list[socket.socket], workers: int,
                 run_worker: Callable[[socket.socket], int]) -> None:
        """``run_worker(sock)`` is a worker's whole life after the fork; its result is the exit code."""
        self.host = host
        self.sockets = sockets
        self.workers = workers
        self.run_worker = run_worker
        self.port = sockets[0].getsockname()[1]
        self.pids: dict[int, int] = {}  # pid -> slot
        self.started: dict[int, float] = {}  # slot -> when its current worker started
        self.quick_exits: dict[int, int] = {}  # slot -> crashes on start-up in a row
        self.due: dict[int, float] = {}  # slot -> when to restart it
        self.master_pid = os.getpid()
        # Every worker holds the read end; the master holds the only write end. When the
        # master dies, however it dies, the kernel closes that end and the workers read EOF.
        self.lifeline_read, self.lifeline_write = os.pipe()

    def start_all(self) -> None:
        for slot in range(self.workers):
            self._fork(slot)

    def _fork(self, slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                own = self.sockets[slot % len(self.sockets)]
                for other in self.sockets:
                    if other is not own:
                        other.close()  # a socket left open here would outlive its worker
                os.close(self.lifeline_write)
                exit_with_master(self.master_pid, self.lifeline_read)
                code = self.run_worker(own)
            except BaseException:  # said here: os._exit below would drop the traceback
                log.exception("worker %d failed", os.getpid())
            finally:
                os._exit(code)
        self.pids[pid] = slot
        self.started[slot] = time.monotonic()

    def reap_and_restart(self) -> None:
        """Collect every exited worker, schedule its slot's restart, fork the ones due."""
        now = time.monotonic()
        while self.pids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            slot = self.pids.pop(pid, None)
            if slot is None:
                continue
            if len(self.sockets) > 1:
                self.sockets[slot].close()
            quick = now - self.started[slot] < QUICK_EXIT_SECONDS
            self.quick_exits[slot] = self.quick_exits.get(slot, 0) + 1 if quick else 0
            delay = 0.0 if not self.quick_exits[slot] else min(
                MAX_RESTART_DELAY_SECONDS, 0.5 * 2 ** (self.quick_exits[slot] - 1))
            self.due[slot] = now + delay
            log.error("worker %d exited (%s); restarting it in %.1f s", pid, _describe_exit(status), delay)
        for slot, when in list(self.due.items()):
            if when <= now:
                if len(self.sockets) > 1:
                    try:
                        self.sockets[slot] = reuseport_socket(self.host, self.port)
                    except OSError as exc:
                        log.error("cannot listen again for worker slot %d: %s; retrying", slot, exc)
                        self.due[slot] = now + 1.0
                        continue
                del self.due[slot]
                self._fork(slot)
                log.info("started worker %d in place of the one that exited",
                         next(pid for pid, s in self.pids.items() if s == slot))

    def stop_all(self) -> None:
        """SIGTERM every worker and wait for it (each finishes its requests and closes its store)."""
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in self.pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.pids.clear()
        for sock in self.sockets:
            sock.close()
        os.close(self.lifeline_write)
        os.close(self.lifeline_read)


def _describe_exit(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def exit_with_master(master_pid: int, lifeline: int) -> None:
    """Make this worker get SIGTERM (its normal shutdown) when the master dies.

    Otherwise a ``kill -9`` of the master leaves its workers serving the port with no
    parent, and nothing that would ever stop or restart them. Two ways, for they
    complement each other: on Linux the kernel sends the signal itself
    (``PR_SET_PDEATHSIG``); everywhere a thread waits for EOF on the master's lifeline
    pipe. The master may already be gone by the time this runs; then it is SIGTERM now.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # until the worker installs its own handler
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _parent_death_signal(signal.SIGTERM)
    threading.Thread(target=watch_lifeline, args=(lifeline,), name="sigil-lifeline", daemon=True).start()
    if os.getppid() != master_pid:
        os.kill(os.getpid(), signal.SIGTERM)


def _parent_death_signal(signum: int) -> bool:
    """``prctl(PR_SET_PDEATHSIG, signum)`` on Linux; False where there is no such call."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(pr_set_pdeathsig, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_lifeline(fd: int) -> None:
    """Block until the master's end of the pipe closes, then stop this worker."""
    while True:
        try:
            if not os.read(fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    os.kill(os.getpid(), signal.SIGTERM)
