"""The approval dialog: who asks, for what, with which identity; Approve or Deny
(Alt+A / Alt+D; Escape denies; Return alone never approves).

Raised above other windows. When the wallet is locked it first asks for the passphrase,
inside the same dialog, so one request is one decision. The dialog never asks the broker
anything: the presenter tells it how long the request may wait and calls :meth:`withdraw`
when the broker reports the request finished (timed out, or denied on quit).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from signer_app.ui.qtcompat import emit

from signer_app.approvals import ApprovalDecision, ApprovalRequest, duration_phrase, format_duration
from signer_app.ui.unlock import try_unlock
from signer_app.ui.widgets import button, card, label
from signer_app.wallet import Wallet, WalletError

# What each scope lets the site do, in the words the dialog shows (one line each).
SCOPE_WORDS = {
    "sign": "sign requests, messages and data as you",
    "encrypt": "encrypt messages for your friends or for a public key",
    "decrypt": "decrypt messages sent to you",
    "write_profile": "change the profile (name, paymail, logo) it shows for you",
}


def scope_lines(scopes: tuple[str, ...]) -> str:
    """The scopes of a grant request as a bulleted list in words (unknown ones by name)."""
    return "\n".join(f"• {SCOPE_WORDS.get(scope, scope)}" for scope in scopes)


MAX_SHOWN_APP_NAME = 60


def share_label(app_name: str) -> str:
    """The share checkbox's text. The name comes from outside (the page, or a client's
    registration), so it is cut short, stripped of control characters and its ``&`` doubled:
    a checkbox reads a single ``&`` as a keyboard shortcut, never as text. Its own shortcut is
    Alt+S (``&Share``), fixed, so an app's name can never move it."""
    name = "".join(c for c in app_name if c.isprintable()).strip() or "this app"
    if len(name) > MAX_SHOWN_APP_NAME:
        name = name[: MAX_SHOWN_APP_NAME - 1] + "…"
    return "&Share my name and picture with " + name.replace("&", "&&")


def headline(request: ApprovalRequest) -> str:
    """The dialog's first line names only what Sigil verified (the requesting origin's host):
    the app's name is whatever the page claims, so it is shown below it as "calls itself"."""
    who = request.host or "A local program"
    if request.kind == "grant":
        return f"{who} asks for access"
    if request.kind == "sign-in":
        return f"Sign in through {request.host or 'a server'}?"
    return f"{who} asks for a signature"


class ApprovalDialog(QDialog):
    """Emits ``decided(request_id, decision)`` once; closes itself afterwards.

    ``decision`` is ``None`` when the request was withdrawn (nothing left to decide).
    ``seconds_left`` is the time until the broker denies the request unanswered.
    """

    decided = Signal(int, object)

    def __init__(self, request: ApprovalRequest, wallet: Wallet, seconds_left: float,
                 queued_behind: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.wallet = wallet
        self._deadline = time.monotonic() + seconds_left
        self._done = False
        self.setWindowTitle("Sigil — approval needed")
        self.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(500)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 22, 24, 20)
        outer.setSpacing(12)
        outer.addWidget(label(headline(request), "title", wrap=True))
        outer.addWidget(label(self._explanation(), "subtitle", wrap=True))

        frame, details = card(16, 8)
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(6)
        origin = request.origin or "none (a program on this computer, not a web page)"
        form.addRow(label("Site", "muted"), self._value(origin))
        if request.app_name:
            form.addRow(label("Calls itself", "muted"), self._value(request.app_name))
        if request.claimed_host and request.claimed_host != request.host:
            form.addRow(label("Says it is", "muted"), self._value(request.claimed_host))
        if request.kind == "grant":
            form.addRow(label("It may", "muted"), self._value(scope_lines(request.scopes)))
            form.addRow(label("How long", "muted"), self._value(format_duration(request.duration_seconds)))
        elif request.kind == "sign-in":
            form.addRow(label("Signs", "muted"), self._value(f"a one-time sign-in token for {request.path}"))
        else:
            form.addRow(label("Path", "muted"), self._value(request.path, mono=True))
            if request.body_summary:
                form.addRow(label("Body", "muted"), self._value(request.body_summary, mono=True))
        self.identity_combo = QComboBox()
        try:
            identities = wallet.identities()
        except WalletError:
            identities = []
        for identity in identities:
            self.identity_combo.addItem(f"{identity.label}  ·  {identity.bap_id}", identity.bap_id)
            if identity.bap_id == request.bap_id:
                self.identity_combo.setCurrentIndex(self.identity_combo.count() - 1)
        form.addRow(label("Identity", "muted"), self.identity_combo)
        self.share_box: QCheckBox | None = None
        if request.kind == "sign-in" and request.client_id:
            self.share_box = QCheckBox(share_label(request.app_name or request.client_id))
            self.share_box.setToolTip("Your Sigil server always keeps your profile; this decides whether this app sees "
                                      "your name and picture. Change it later in the Access tab.")
            self.share_box.setChecked(request.share_for(self.selected_bap_id()))
            self.identity_combo.currentIndexChanged.connect(self._identity_changed)
            form.addRow(label("Profile", "muted"), self.share_box)
        details.addLayout(form)
        outer.addWidget(frame)

        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setPlaceholderText("Passphrase")
        self.passphrase_edit.returnPressed.connect(self.approve)
        self.locked_hint = label("Sigil is locked. Enter your passphrase to approve.", "muted")
        outer.addWidget(self.locked_hint)
        outer.addWidget(self.passphrase_edit)
        self._sync_lock_state()

        self.error = label("", "error", wrap=True)
        outer.addWidget(self.error)
        footer = QHBoxLayout()
        self.countdown = label("", "muted")
        footer.addWidget(self.countdown)
        if queued_behind:
            footer.addWidget(label(f"· {queued_behind} more waiting", "muted"))
        footer.addStretch(1)
        # Keyboard: Alt+A approves, Alt+D or Escape denies. Neither button is (auto)default,
        # so a stray Return never approves; only Return in the passphrase field does, after
        # the passphrase was typed on purpose.
        self.deny_button = button("&Deny", "danger", self.deny)
        self.approve_button = button("&Approve", "primary", self.approve)
        self.deny_button.setToolTip("Alt+D or Escape")
        self.approve_button.setToolTip("Alt+A")
        for b in (self.deny_button, self.approve_button):
            b.setAutoDefault(False)
            b.setDefault(False)
            b.setMinimumWidth(100)
        footer.addWidget(self.deny_button)
        footer.addWidget(self.approve_button)
        outer.addLayout(footer)

        # Only the countdown's text moves each second; closing on timeout is the broker's call.
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._show_countdown)
        self._timer.start()
        self._show_countdown()

    def _value(self, text: str, mono: bool = False):
        widget = label(text, "mono" if mono else "", wrap=True)
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        widget.setTextFormat(Qt.TextFormat.PlainText)
        return widget

    def _explanation(self) -> str:
        r = self.request
        if r.kind == "grant":
            return ("If you approve, this site may do the following as the identity below, "
                    f"{duration_phrase(r.duration_seconds)}, without asking again. Signing in always asks.")
        if r.kind == "sign-in":
            return ("One approval signs you in: Sigil signs a one-time token that proves to this site "
                    "that you control the identity below. Nothing else is granted.")
        return "This signs one request with the identity below."

    def _sync_lock_state(self) -> None:
        locked = self.wallet.is_locked
        self.passphrase_edit.setVisible(locked)
        self.locked_hint.setVisible(locked)
        if locked:
            self.passphrase_edit.setFocus()

    def _show_countdown(self) -> None:
        left = max(0, round(self._deadline - time.monotonic()))
        self.countdown.setText(f"Denied automatically in {left // 60}:{left % 60:02d}")

    def withdraw(self) -> None:
        """The request timed out or was answered elsewhere: close without a decision."""
        self._finish(None)

    def selected_bap_id(self) -> str | None:
        return self.identity_combo.currentData()

    def _identity_changed(self) -> None:
        """Each identity has its own remembered share choice: the checkbox follows the pick."""
        if self.share_box is not None:
            self.share_box.setChecked(self.request.share_for(self.selected_bap_id()))

    def approve(self) -> None:
        if self._done:
            return
        if self.wallet.is_locked:
            message = try_unlock(self.wallet, self.passphrase_edit.text())
            self.passphrase_edit.clear()
            if message:
                self.error.setText(message)
                return
            self._sync_lock_state()
        share = self.share_box.isChecked() if self.share_box is not None else None
        self._finish(ApprovalDecision.approve(self.selected_bap_id(), share))

    def deny(self) -> None:
        self._finish(ApprovalDecision.deny())

    def reject(self) -> None:  # Escape or the window's close button
        self.deny()

    def _finish(self, decision: ApprovalDecision | None) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        emit(self.decided, self.request.id, decision)
        self.done(QDialog.DialogCode.Accepted if decision and decision.approved else QDialog.DialogCode.Rejected)
