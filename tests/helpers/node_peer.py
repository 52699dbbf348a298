"""A Python handle on the reference ``bitcoin-auth`` package, run in Node.

One long-lived ``node tests/peers/bitcoin_auth_peer.mjs`` process answers
JSON requests line by line, so thousands of round trips cost milliseconds each.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

INTEROP_DIR = Path(__file__).resolve().parent.parent / "peers"
PEER_SCRIPT = INTEROP_DIR / "bitcoin_auth_peer.mjs"
TOKENPASS_PEER_SCRIPT = INTEROP_DIR / "tokenpass_peer.mjs"


class NodePeerError(RuntimeError):
    """The reference implementation answered with an error (its whole answer in ``answer``)."""

    def __init__(self, message: str, answer: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.answer = answer or {}


class NodePeer:
    """Talks to ``bitcoin_auth_peer.mjs`` (or another bridge ``script`` in the same
    line protocol, which needs the npm package ``needs``); safe to share between threads."""

    def __init__(self, script: Path = PEER_SCRIPT, needs: str = "bitcoin-auth") -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed; the interop tests need Node.js")
        if not (INTEROP_DIR / "node_modules" / needs).is_dir():
            raise RuntimeError("npm packages missing: run `make test` (it runs npm ci in tests/peers)")
        self._proc = subprocess.Popen(
            [node, str(script)],
            cwd=INTEROP_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lock = threading.Lock()

    def request(self, **payload: Any) -> dict[str, Any]:
        """One request; the answer, or :class:`NodePeerError` carrying the peer's error answer."""
        with self._lock:
            assert self._proc.stdin and self._proc.stdout
            self._proc.stdin.write(json.dumps(payload) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise NodePeerError("the node peer exited")
        answer = json.loads(line)
        if "error" in answer:
            raise NodePeerError(answer["error"], answer)
        return answer

    def key(self) -> tuple[str, str]:
        """A fresh key from @bsv/sdk: (WIF, compressed pubkey hex)."""
        answer = self.request(op="key")
        return answer["wif"], answer["pubkey"]

    def make(self, wif: str, request_path: str, body: str | None = None, scheme: str = "brc77",
             timestamp: str | None = None) -> str:
        payload: dict[str, Any] = {"op": "make", "wif": wif, "requestPath": request_path, "scheme": scheme}
        if body is not None:
            payload["body"] = body
        if timestamp is not None:
            payload["timestamp"] = timestamp
        return self.request(**payload)["token"]

    def verify(self, token: str, request_path: str, timestamp: str, body: str | None = None) -> bool:
        payload: dict[str, Any] = {"op": "verify", "token": token, "requestPath": request_path, "timestamp": timestamp}
        if body is not None:
            payload["body"] = body
        return bool(self.request(**payload)["valid"])

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()


OPENID_CLIENT_SCRIPT = INTEROP_DIR / "openid_client_peer.mjs"


class OpenIDClientPeer(NodePeer):
    """``openid-client`` (the certified OIDC relying-party library) in Node, one process;
    each relying party it plays is named by ``rp`` (see ``openid_client_peer.mjs``)."""

    def __init__(self) -> None:
        super().__init__(OPENID_CLIENT_SCRIPT, "openid-client")
