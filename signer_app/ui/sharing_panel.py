"""Access tab, third part: the apps each identity shares (or does not share) its name and
picture with, as remembered from the sign-in dialog's checkbox; ticking or unticking a row
changes what the next sign-in sends (``shareProfile``) and the dialog's starting state."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QHeaderView, QTableWidgetItem, QVBoxLayout, QWidget

from signer_app.service import SignerService
from signer_app.sharing import ShareChoice
from signer_app.ui.widgets import label, read_only_table


def _app_text(choice: ShareChoice) -> str:
    """The app as the table shows it (a table item is plain text): its name, and its client id."""
    name = "".join(c for c in choice.app_name if c.isprintable()).strip()
    return f"{name}\n{choice.client_id}" if name and name != choice.client_id else choice.client_id


class SharingPanel(QWidget):
    def __init__(self, service: SignerService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(label("Apps you signed in to that see your name and picture (ticked) or not. "
                               "Your next sign-in to an app sends what is set here.", "muted", wrap=True))
        self.table = read_only_table(["App", "Server", "Identity", "Shares name and picture"], stretch=0, fit=(1, 2))
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(44)
        layout.addWidget(self.table, 1)
        self.empty = label("No app asked yet.", "muted")
        layout.addWidget(self.empty)
        self.share_boxes: dict[tuple[str, str, str], QCheckBox] = {}
        self._shown: list[tuple[str, str, str, bool, str]] = []

    def _identity_labels(self) -> dict[str, str]:
        try:
            return {i.bap_id: i.label for i in self.service.wallet.identities(include_hidden=True)}
        except Exception:
            return {}

    def refresh(self) -> None:
        choices = self.service.sharing.all()
        shown = [(c.server, c.client_id, c.bap_id, c.share, c.app_name) for c in choices]
        if shown == self._shown:
            return
        self._shown = shown
        labels = self._identity_labels()
        self.table.clearContents()
        self.table.setRowCount(0)
        self.table.setRowCount(len(choices))
        self.share_boxes = {}
        for row, choice in enumerate(choices):
            values = (_app_text(choice), choice.server or "a program on this computer",
                      labels.get(choice.bap_id, choice.bap_id[:12]))
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
            box = QCheckBox("Share")
            box.setChecked(choice.share)
            box.toggled.connect(lambda checked, c=choice: self.set_share(c, checked))
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(6, 4, 6, 4)
            cell_layout.addWidget(box)
            cell_layout.addStretch(1)  # the box as wide as its text: a click beside it changes nothing
            self.table.setCellWidget(row, 3, cell)
            self.share_boxes[(choice.server, choice.client_id, choice.bap_id)] = box
        self.empty.setVisible(not choices)

    def set_share(self, choice: ShareChoice, share: bool) -> None:
        """Store the change; the box already shows it, so the table is not rebuilt under it."""
        self.service.set_share_choice(choice.server, choice.client_id, choice.bap_id, share)
        self._shown = [(c.server, c.client_id, c.bap_id, c.share, c.app_name) for c in self.service.sharing.all()]
