"""Identities tab: each identity's label, BAP ID, address and pubkey (copy + QR), the default."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from signer_app.ui.widgets import CopyField, button, card, label, qr_pixmap
from signer_app.wallet import Wallet, WalletError


class IdentitiesPanel(QWidget):
    def __init__(self, wallet: Wallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = wallet
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)

        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setFixedWidth(270)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.currentItemChanged.connect(lambda *_: self._show_selected())
        left.addWidget(self.list, 1)
        self.add_button = button("+ New identity", slot=self.add_identity)
        left.addWidget(self.add_button)
        layout.addLayout(left)

        frame, detail = card(20, 12)
        head = QHBoxLayout()
        self.title = label("", "section")
        self.default_badge = label("Default", "badge")
        head.addWidget(self.title)
        head.addWidget(self.default_badge)
        head.addStretch(1)
        self.rename_button = button("Rename", "link", self.rename_identity)
        self.default_button = button("Make default", slot=self.make_default)
        head.addWidget(self.rename_button)
        head.addWidget(self.default_button)
        detail.addLayout(head)

        body = QHBoxLayout()
        body.setSpacing(20)
        fields = QVBoxLayout()
        fields.setSpacing(10)
        self.bap_field = CopyField("BAP ID")
        self.address_field = CopyField("Address")
        self.pubkey_field = CopyField("Public key")
        for f in (self.bap_field, self.address_field, self.pubkey_field):
            fields.addWidget(f)
        self.where = label("", "muted", wrap=True)
        fields.addWidget(self.where)
        fields.addStretch(1)
        body.addLayout(fields, 1)
        qr_box = QVBoxLayout()
        self.qr = QLabel()
        self.qr.setFixedSize(168, 168)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_box.addWidget(self.qr)
        qr_caption = label("Public key", "muted")
        qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_box.addWidget(qr_caption)
        qr_box.addStretch(1)
        body.addLayout(qr_box)
        detail.addLayout(body)
        self.error = label("", "error", wrap=True)
        detail.addWidget(self.error)
        layout.addWidget(frame, 1)

    def refresh(self) -> None:
        current = self.selected_bap_id()
        try:
            identities = self.wallet.identities()
        except WalletError:
            identities = []
        self.list.blockSignals(True)
        self.list.clear()
        select_row = 0
        for row, identity in enumerate(identities):
            text = identity.label + ("   ★" if identity.is_default else "")
            item = QListWidgetItem(f"{text}\n{identity.bap_id}")
            item.setData(Qt.ItemDataRole.UserRole, identity.bap_id)
            self.list.addItem(item)
            if identity.bap_id == current or (current is None and identity.is_default):
                select_row = row
        self.list.blockSignals(False)
        if identities:
            self.list.setCurrentRow(select_row)
        self._show_selected()

    def selected_bap_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show_selected(self) -> None:
        bap_id = self.selected_bap_id()
        identity = None
        if bap_id:
            try:
                identity = self.wallet.get_identity(bap_id)
            except WalletError:
                identity = None
        self.error.setText("")
        if identity is None:
            self.title.setText("No identity")
            for f in (self.bap_field, self.address_field, self.pubkey_field):
                f.set_value("")
            self.qr.clear()
            self.default_badge.hide()
            return
        self.title.setText(identity.label)
        self.default_badge.setVisible(identity.is_default)
        self.default_button.setEnabled(not identity.is_default)
        self.bap_field.set_value(identity.bap_id)
        self.address_field.set_value(identity.address)
        self.pubkey_field.set_value(identity.pubkey)
        self.qr.setPixmap(qr_pixmap(identity.pubkey, 164))
        try:
            storage = self.wallet.storage_description()
        except WalletError:
            storage = ""
        path = f"m/424150'/0'/0'/0'/{identity.index}'/0'"
        self.where.setText(f"Identity #{identity.index + 1} · member key {path}" + (f"\nKeys kept in {storage}" if storage else ""))

    def add_identity(self) -> None:
        name, ok = QInputDialog.getText(self, "New identity", "Label:", text=f"Identity {self.list.count() + 1}")
        if ok and name.strip():
            self._call(self.wallet.add_identity, name.strip())

    def rename_identity(self) -> None:
        bap_id = self.selected_bap_id()
        if not bap_id:
            return
        name, ok = QInputDialog.getText(self, "Rename identity", "Label:", text=self.title.text())
        if ok and name.strip():
            self._call(self.wallet.rename_identity, bap_id, name.strip())

    def make_default(self) -> None:
        bap_id = self.selected_bap_id()
        if bap_id:
            self._call(self.wallet.set_default, bap_id)

    def _call(self, fn, *args) -> None:
        try:
            fn(*args)
        except WalletError as exc:
            self.error.setText(str(exc))
            return
        self.refresh()
