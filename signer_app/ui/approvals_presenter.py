"""Shows queued approval requests one after another, from the GUI thread.

The broker calls our listener from HTTP threads; the listener only emits a signal, which
Qt delivers in the GUI thread (queued connection), so widgets are touched there only.
A request that finishes while its dialog is open (timed out, denied on quit) withdraws
the dialog; nothing polls.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from signer_app.ui.qtcompat import emit

from signer_app.approvals import ApprovalBroker, ApprovalRequest
from signer_app.ui.approval_dialog import ApprovalDialog
from signer_app.wallet import Wallet


class ApprovalPresenter(QObject):
    pending_changed = Signal(int)
    dialog_shown = Signal(object)  # the ApprovalDialog (tests wait for it)
    _broker_event = Signal(str, int)  # (event, request id), re-emitted in the GUI thread

    def __init__(self, broker: ApprovalBroker, wallet: Wallet, parent_window: QWidget | None = None) -> None:
        super().__init__()
        self.broker = broker
        self.wallet = wallet
        self.parent_window = parent_window
        self.dialog: ApprovalDialog | None = None
        self._broker_event.connect(self._on_broker_event)
        broker.subscribe(self._listener)

    def _listener(self, event: str, request: ApprovalRequest) -> None:
        emit(self._broker_event, event, request.id)  # any thread -> GUI thread

    def _on_broker_event(self, event: str, request_id: int) -> None:
        emit(self.pending_changed, len(self.broker.pending()))
        if event == "finished" and self.dialog is not None and self.dialog.request.id == request_id:
            self.dialog.withdraw()  # its _on_decided shows the next request
            return
        self._show_next()

    def _show_next(self) -> None:
        if self.dialog is not None:
            return
        pending = self.broker.pending()
        if not pending:
            return
        request = pending[0]
        dialog = ApprovalDialog(request, self.wallet, self.broker.seconds_left(request.id),
                                queued_behind=len(pending) - 1,
                                parent=self.parent_window if self.parent_window and self.parent_window.isVisible() else None)
        dialog.decided.connect(self._on_decided)
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        emit(self.dialog_shown, dialog)

    def _on_decided(self, request_id: int, decision) -> None:
        if decision is not None:
            self.broker.decide(request_id, decision)
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
        emit(self.pending_changed, len(self.broker.pending()))
        QTimer.singleShot(0, self._show_next)
