"""Access tab: the apps that hold a grant (host, scopes, identity, expiry) with Revoke."""

from __future__ import annotations

import math
import time

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from signer_app.service import SignerService
from signer_app.ui.widgets import button, label, read_only_table


def _expires_in(seconds: float) -> str:
    if math.isinf(seconds):
        return "until you revoke it"
    seconds = max(0, int(seconds))
    if seconds >= 86400:
        return f"in {seconds // 86400} d {seconds % 86400 // 3600} h"
    if seconds >= 3600:
        return f"in {seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"in {seconds // 60} min"
    return f"in {seconds} s"


class GrantsPanel(QWidget):
    def __init__(self, service: SignerService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label("Apps that can ask this computer to sign API requests without a new prompt. "
                               "Sign-in always asks.", "muted", wrap=True))
        self.table = read_only_table(["Host", "Scopes", "Identity", "Expires", ""], stretch=0, fit=(1, 2, 3))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(4, 110)
        self.table.verticalHeader().setDefaultSectionSize(44)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.empty = label("No app holds a grant.", "muted")
        row.addWidget(self.empty)
        row.addStretch(1)
        self.revoke_all_button = button("Revoke all", "danger", self.revoke_all)
        row.addWidget(self.revoke_all_button)
        layout.addLayout(row)
        self.revoke_buttons: dict[str, object] = {}

    def refresh(self) -> None:
        grants = self.service.grants.active()
        now = time.time()
        if [g.token_hash for g in grants] == list(self.revoke_buttons):
            for row, grant in enumerate(grants):  # same grants: only the countdowns move
                self.table.item(row, 3).setText(_expires_in(grant.expires - now))
            return
        labels = self._identity_labels()
        self.table.clearContents()
        self.table.setRowCount(0)  # drops the old Revoke buttons with their rows
        self.table.setRowCount(len(grants))
        self.revoke_buttons = {}
        for row, grant in enumerate(grants):
            host = grant.host + (f"\n{grant.origin}" if grant.origin and grant.origin.split("//")[-1] != grant.host else "")
            values = [host, ", ".join(grant.scopes), labels.get(grant.bap_id, grant.bap_id[:12]),
                      _expires_in(grant.expires - now)]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
            revoke = button("Revoke", "danger", lambda _=False, h=grant.token_hash: self.revoke(h))
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(6, 4, 6, 4)
            cell_layout.addWidget(revoke)
            self.table.setCellWidget(row, 4, cell)
            self.revoke_buttons[grant.token_hash] = revoke
        self.empty.setVisible(not grants)
        self.revoke_all_button.setEnabled(bool(grants))

    def _identity_labels(self) -> dict[str, str]:
        try:
            return {i.bap_id: i.label for i in self.service.wallet.identities(include_hidden=True)}
        except Exception:
            return {}

    def revoke(self, token_hash: str) -> None:
        self.service.revoke_grant(token_hash)
        self.refresh()

    def revoke_all(self) -> None:
        for grant in self.service.grants.active():
            self.service.revoke_grant(grant.token_hash)
        self.refresh()
