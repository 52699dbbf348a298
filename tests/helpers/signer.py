"""The signer's parts as the app wires them, for tests with and without Qt: a real wallet on
the suite's keyring, the real local API on a free loopback port, and HTTP calls from other
threads. ``tests/signer`` and ``tests/desktop`` (tests/helpers/fixtures/qt.py) both take their fixtures from here."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from signer_app.approvals import ApprovalBroker, ApprovalDecision, ApprovalRequest
from signer_app.assembly import AppContext
from signer_app.settings import AppSettings, SettingsStore
from signer_app.wallet import KdfParams, Wallet

PASSPHRASE = "correct horse battery staple"
FAST_KDF = KdfParams(n=2**10)
VECTOR_MNEMONIC = "abandon " * 11 + "about"

# what a conftest takes with ``from tests.helpers.signer import *`` (fixtures included)
__all__ = ["FAST_KDF", "PASSPHRASE", "VECTOR_MNEMONIC", "Answer", "Api",
           "User", "_isolated_env", "api", "ctx", "data_dir", "make_wallet", "user", "wallet"]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIGIL_SIGNER_PORT", "SIGIL_PORT", "SIGIL_DATA_DIR", "SIGIL_SCREENSHOT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_wallet(data_dir: Path):
    """A Wallet on the suite's gnome-keyring under a service name of its own."""
    service = f"sigil-test-{uuid.uuid4().hex[:10]}"

    def make() -> Wallet:
        return Wallet(data_dir, service=service, kdf=FAST_KDF, auto_lock_seconds=None)

    return make


@pytest.fixture
def wallet(make_wallet) -> Wallet:
    """An unlocked wallet whose first identity is the docs/PROTOCOL.md test vector's."""
    w = make_wallet()
    w.import_mnemonic(VECTOR_MNEMONIC, PASSPHRASE, label="Personal")
    if w.is_locked:
        w.unlock(PASSPHRASE)
    return w


@pytest.fixture
def ctx(tmp_path: Path, data_dir: Path, wallet: Wallet):
    """The app's parts wired as in production, the local API serving on a free port."""
    store = SettingsStore(tmp_path / "settings.json")
    store.save(AppSettings(signer_port=0, server_port=0, start_server=False))
    context = AppContext.build(data_dir, store, wallet=wallet, approval_timeout=30.0)
    assert context.start_api()
    yield context
    context.shutdown()


@dataclass
class Answer:
    status: int
    body: dict
    headers: httpx.Headers


class Api:
    """Calls the local API over real HTTP from worker threads (the GUI thread stays free)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.pool = ThreadPoolExecutor(max_workers=8)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> Answer:
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            content = json.dumps(body) if body is not None else None
            hdrs = {"Content-Type": "application/json", **(headers or {})}
            response = client.request(method, path, content=content, headers=hdrs)
        try:
            parsed = response.json()
        except ValueError:
            parsed = {}
        return Answer(response.status_code, parsed, response.headers)

    def submit(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> Future:
        return self.pool.submit(self.request, method, path, body, headers)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def api(ctx):
    client = Api(ctx.api.url)
    yield client
    ctx.service.broker.deny_all()
    client.close()


Policy = Callable[[ApprovalRequest], "ApprovalDecision | None"]  # None: leave it unanswered


class User:
    """Answers approvals in its own thread, with the policy the test sets; records what it saw."""

    def __init__(self, broker: ApprovalBroker) -> None:
        self.broker = broker
        self.policy: Policy = lambda request: ApprovalDecision.approve(request.bap_id)
        self.seen: list[ApprovalRequest] = []
        self._inbox: queue.Queue[ApprovalRequest | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        broker.subscribe(self._on_event)
        self._thread.start()

    def _on_event(self, event: str, request: ApprovalRequest) -> None:
        if event == "submitted":  # in the HTTP thread: only hand it over
            self._inbox.put(request)

    def _run(self) -> None:
        while (request := self._inbox.get()) is not None:
            self.seen.append(request)
            decision = self.policy(request)
            if decision is not None:
                self.broker.decide(request.id, decision)

    def close(self) -> None:
        self._inbox.put(None)
        self._thread.join(5)


@pytest.fixture
def user(ctx) -> Iterator[User]:
    person = User(ctx.service.broker)
    yield person
    person.close()
