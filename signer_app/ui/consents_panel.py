"""Access tab, second part: the apps the wallet's identities allowed to sign them in on this
computer's auth server (OAuth consents), each with Withdraw, which also ends that app's
tokens for the identity at once."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QTableWidgetItem, QVBoxLayout, QWidget

from signer_app.embedded_server import EmbeddedServer, IdentityConsent
from signer_app.ui.widgets import button, label, read_only_table
from signer_app.wallet import Identity, Wallet


class ConsentsPanel(QWidget):
    def __init__(self, server: EmbeddedServer, wallet: Wallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = server
        self.wallet = wallet
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(label("Apps you allowed to sign you in with this computer's auth server.", "muted",
                               wrap=True))
        self.table = read_only_table(["App", "Scopes", "Identity", ""], stretch=0, fit=(1, 2))
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(3, 110)
        self.table.verticalHeader().setDefaultSectionSize(44)
        layout.addWidget(self.table, 1)
        self.empty = label("No app holds a consent.", "muted")
        layout.addWidget(self.empty)
        self.withdraw_buttons: dict[tuple[str, str], object] = {}
        self._shown: list[IdentityConsent] = []

    def _identities(self) -> dict[str, str]:
        try:
            return {i.pubkey: i.label for i in self.wallet.identities(include_hidden=True)}
        except Exception:
            return {}

    def refresh(self, identities: list[Identity] | None = None) -> None:
        """Show the consents of ``identities`` (all of the wallet's, read here, when ``None``)."""
        labels = self._identities() if identities is None else {i.pubkey: i.label for i in identities}
        consents = self.server.consents(list(labels))
        if consents == self._shown:
            return
        self._shown = consents
        self.table.clearContents()
        self.table.setRowCount(0)
        self.table.setRowCount(len(consents))
        self.withdraw_buttons = {}
        for row, consent in enumerate(consents):
            for col, value in enumerate((consent.client_name, ", ".join(consent.scopes),
                                         labels.get(consent.pubkey, consent.pubkey[:12]))):
                self.table.setItem(row, col, QTableWidgetItem(value))
            withdraw = button("Withdraw", "danger",
                              lambda _=False, c=consent: self.withdraw(c.pubkey, c.client_id))
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(6, 4, 6, 4)
            cell_layout.addWidget(withdraw)
            self.table.setCellWidget(row, 3, cell)
            self.withdraw_buttons[(consent.pubkey, consent.client_id)] = withdraw
        self.empty.setVisible(not consents)

    def withdraw(self, pubkey: str, client_id: str) -> None:
        self.server.withdraw_consent(pubkey, client_id)
        self.refresh()
