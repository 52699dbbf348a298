"""The queue that carries an approval request from an HTTP thread to the GUI and back.

An HTTP worker thread calls :meth:`ApprovalBroker.submit`, which blocks until the GUI
calls :meth:`ApprovalBroker.decide` or the request times out (then it is denied).
Requests wait in arrival order, so when several arrive at once none is lost: the GUI
shows them one after another. The broker knows nothing about Qt; the GUI subscribes
with :meth:`ApprovalBroker.subscribe` and hops to its own thread (a queued signal).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

RequestKind = Literal["grant", "sign-in", "sign"]
Outcome = Literal["approved", "denied", "timeout", "overloaded"]

DEFAULT_TIMEOUT = 120.0
MAX_PENDING = 20


@dataclass(frozen=True)
class ApprovalRequest:
    """Everything the approval dialog shows: who asks, for what, with which identity.

    ``host`` is derived from the request's Origin header (never from a JSON field);
    ``claimed_host`` is what the caller said about itself, shown for information only.
    """

    kind: RequestKind
    origin: str
    host: str
    claimed_host: str = ""
    app_name: str = ""
    path: str = ""
    body_summary: str = ""
    scopes: tuple[str, ...] = ()
    duration_seconds: float | None = None
    bap_id: str | None = None  # the identity proposed (the grant's or the default)
    # A sign-in for an OAuth client (``client_id``) asks whether to share the identity's name
    # and picture with it; ``shares`` holds the remembered choice of each identity, so the
    # checkbox follows the identity picked. Empty ``client_id``: no checkbox.
    client_id: str = ""
    shares: tuple[tuple[str, bool], ...] = ()
    id: int = 0
    created: float = 0.0

    def share_for(self, bap_id: str | None) -> bool:
        """The checkbox's state for identity ``bap_id``: its remembered choice, else ticked."""
        return dict(self.shares).get(bap_id or "", True)

    def what(self) -> str:
        """One line for the activity log and the tray: what is being approved."""
        if self.kind == "grant":
            scopes = ", ".join(self.scopes) or "sign"
            return f"access grant ({scopes}) {duration_phrase(self.duration_seconds)}"
        if self.kind == "sign-in":
            return f"sign-in token for {self.path}"
        return f"signature for {self.path}"


@dataclass(frozen=True)
class ApprovalDecision:
    """The GUI's answer. ``bap_id`` is the identity the user picked; ``share_profile`` the
    sign-in's share checkbox (``None``: not shown, or not answered: the remembered choice)."""

    approved: bool
    bap_id: str | None = None
    outcome: Outcome = "denied"
    share_profile: bool | None = None

    @classmethod
    def approve(cls, bap_id: str | None, share_profile: bool | None = None) -> ApprovalDecision:
        return cls(True, bap_id, "approved", share_profile)

    @classmethod
    def deny(cls, outcome: Outcome = "denied") -> ApprovalDecision:
        return cls(False, None, outcome)


def format_duration(seconds: float | None) -> str:
    """``3600`` -> ``1 hour``; the dialog and the log speak in words."""
    if seconds is None:
        return "this request"
    if math.isinf(seconds):
        return "until you revoke it"
    seconds = int(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    if seconds >= 60:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def duration_phrase(seconds: float | None) -> str:
    """``for 1 hour`` / ``until you revoke it``: a grant's duration inside a sentence."""
    words = format_duration(seconds)
    return words if seconds is not None and math.isinf(seconds) else f"for {words}"


@dataclass
class _Pending:
    request: ApprovalRequest
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    decision: ApprovalDecision | None = None


Listener = Callable[[str, ApprovalRequest], None]  # event: "submitted" | "finished"


class ApprovalBroker:
    """Thread-safe FIFO of pending approvals; ``submit`` blocks, ``decide`` answers."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, max_pending: int = MAX_PENDING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event, request)`` on submit and when a request is finished.

        It runs in the submitting (HTTP) thread or in the deciding thread, so a GUI
        listener must only hand the event over to its own thread.
        """
        with self._lock:
            self._listeners.append(listener)

    def _notify(self, event: str, request: ApprovalRequest) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event, request)
            except Exception:  # a broken listener must not lose the request
                pass

    def submit(self, request: ApprovalRequest, timeout: float | None = None) -> tuple[ApprovalRequest, ApprovalDecision]:
        """Queue ``request`` and wait for the user; a timeout is a denial.

        Returns the request as queued (with its id) and the decision.
        """
        wait = self.timeout if timeout is None else timeout
        with self._lock:
            if len(self._pending) >= self.max_pending:
                return request, ApprovalDecision.deny("overloaded")
            now = self._clock()
            request = _with_id(request, next(self._ids), time.time())
            pending = _Pending(request, now + wait)
            self._pending[request.id] = pending
        self._notify("submitted", request)
        pending.done.wait(wait)
        with self._lock:
            self._pending.pop(request.id, None)
            if pending.decision is None:
                pending.decision = ApprovalDecision.deny("timeout")
            decision = pending.decision
            pending.done.set()
        self._notify("finished", request)
        return request, decision

    def decide(self, request_id: int, decision: ApprovalDecision) -> bool:
        """Answer a pending request; False when it already timed out or was answered."""
        with self._lock:
            pending = self._pending.get(request_id)
            if pending is None or pending.decision is not None:
                return False
            pending.decision = decision
            pending.done.set()
            return True

    def pending(self) -> list[ApprovalRequest]:
        """Undecided requests, oldest first."""
        with self._lock:
            return [p.request for p in sorted(self._pending.values(), key=lambda p: p.request.id)
                    if p.decision is None]

    def is_pending(self, request_id: int) -> bool:
        with self._lock:
            pending = self._pending.get(request_id)
            return pending is not None and pending.decision is None

    def seconds_left(self, request_id: int) -> float:
        """Time until the request is denied for lack of an answer (the dialog's countdown)."""
        with self._lock:
            pending = self._pending.get(request_id)
            if pending is None:
                return 0.0
            return max(0.0, pending.deadline - self._clock())

    def deny_all(self) -> None:
        """Deny everything pending (on quit)."""
        with self._lock:
            for pending in self._pending.values():
                if pending.decision is None:
                    pending.decision = ApprovalDecision.deny()
                    pending.done.set()


def _with_id(request: ApprovalRequest, request_id: int, created: float) -> ApprovalRequest:
    from dataclasses import replace

    return replace(request, id=request_id, created=created)
