"""The approval broker on its own: arrival order, one answer per request, timeouts, events."""

from __future__ import annotations

import threading

from signer_app.approvals import ApprovalBroker, ApprovalDecision, ApprovalRequest


def test_broker_queues_in_order_and_times_out():
    broker = ApprovalBroker(timeout=5)
    events = []
    broker.subscribe(lambda event, request: events.append((event, request.origin)))
    results = {}

    def ask(origin: str, timeout: float | None = None) -> None:
        results[origin] = broker.submit(ApprovalRequest(kind="grant", origin=origin, host=origin), timeout)[1]

    threads = [threading.Thread(target=ask, args=(f"o{i}",)) for i in range(3)]
    for t in threads:
        t.start()
        while len(broker.pending()) < threads.index(t) + 1:
            pass
    pending = broker.pending()
    assert [r.origin for r in pending] == ["o0", "o1", "o2"]
    assert broker.decide(pending[1].id, ApprovalDecision.approve("X"))
    assert not broker.decide(pending[1].id, ApprovalDecision.deny())  # one answer only
    broker.decide(pending[0].id, ApprovalDecision.deny())
    broker.deny_all()
    for t in threads:
        t.join(5)
    assert results["o1"] == ApprovalDecision(True, "X", "approved")
    assert not results["o0"].approved and not results["o2"].approved
    ask("late", timeout=0.05)
    assert results["late"].outcome == "timeout"
    assert ("submitted", "late") in events and ("finished", "late") in events
