"""Identities tab: each identity's label, BAP ID, address and pubkey (copy + QR), the default;
rename, edit profile (name, username, picture, e-mail), hide / unhide (hidden ones listed on request)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget,
)

from signer_app.profiles import ProfileStore
from signer_app.ui.widgets import CopyField, button, card, label, qr_pixmap
from signer_app.wallet import Identity, Wallet, WalletError


class IdentitiesPanel(QWidget):
    def __init__(self, wallet: Wallet, profiles: ProfileStore, parent: QWidget | None = None,
                 on_profile_saved: Callable[[Identity], None] | None = None) -> None:
        """``profiles`` holds what sign-ins carry (name, username, picture); ``on_profile_saved``
        hears of every saved profile (the main window passes the e-mail on to the embedded auth server)."""
        super().__init__(parent)
        self.wallet = wallet
        self.profiles = profiles
        self.on_profile_saved = on_profile_saved
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
        self.show_hidden = QCheckBox("Show hidden identities")
        self.show_hidden.toggled.connect(lambda _on: self.refresh())
        left.addWidget(self.show_hidden)
        self.add_button = button("+ New identity", slot=self.add_identity)
        left.addWidget(self.add_button)
        layout.addLayout(left)

        frame, detail = card(20, 12)
        head = QHBoxLayout()
        self.title = label("", "section")
        self.default_badge = label("Default", "badge")
        head.addWidget(self.title)
        head.addWidget(self.default_badge)
        self.hidden_badge = label("Hidden", "badge")
        head.addWidget(self.hidden_badge)
        head.addStretch(1)
        self.rename_button = button("Rename", "link", self.rename_identity)
        self.profile_button = button("Edit profile", "link", self.edit_profile)
        self.hide_button = button("Hide", "link", self.toggle_hidden)
        self.default_button = button("Make default", slot=self.make_default)
        for b in (self.rename_button, self.profile_button, self.hide_button, self.default_button):
            head.addWidget(b)
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
        self.profile_line = label("", "muted", wrap=True)
        self.profile_line.setTextFormat(Qt.TextFormat.PlainText)
        fields.addWidget(self.profile_line)
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
            identities = self.wallet.identities(include_hidden=self.show_hidden.isChecked())
        except WalletError:
            identities = []
        self.list.blockSignals(True)
        self.list.clear()
        select_row = 0
        for row, identity in enumerate(identities):
            text = identity.label + ("   ★" if identity.is_default else "") + ("   (hidden)" if identity.hidden else "")
            item = QListWidgetItem(f"{text}\n{identity.bap_id}")
            item.setData(Qt.ItemDataRole.UserRole, identity.bap_id)
            if identity.hidden:
                item.setForeground(QColor("#9ca3af"))
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
            self.profile_line.setText("")
            self.default_badge.hide()
            self.hidden_badge.hide()
            for b in (self.rename_button, self.profile_button, self.hide_button, self.default_button):
                b.setEnabled(False)
            return
        self.title.setText(identity.label)
        self.default_badge.setVisible(identity.is_default)
        self.hidden_badge.setVisible(identity.hidden)
        for b in (self.rename_button, self.profile_button, self.hide_button):
            b.setEnabled(True)
        self.default_button.setEnabled(not identity.is_default and not identity.hidden)
        self.hide_button.setText("Unhide" if identity.hidden else "Hide")
        self.profile_line.setText(self._profile_summary(identity))
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

    def _profile_summary(self, identity: Identity) -> str:
        record = self.profiles.get(identity.bap_id)
        picture = record.get("picture") or identity.image
        parts = [record.get("displayName") or identity.name, record.get("username"),
                 "picture from a file" if picture and picture.startswith("data:") else picture]
        shown = [part for part in parts if part]
        return "Profile: " + " · ".join(shown) if shown else "No profile name or picture"

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

    def edit_profile(self) -> None:
        from signer_app.ui.profile_dialog import ProfileDialog

        bap_id = self.selected_bap_id()
        if not bap_id:
            return
        try:
            identity = self.wallet.get_identity(bap_id)
        except WalletError as exc:
            self.error.setText(str(exc))
            return
        dialog = ProfileDialog(identity, self.profiles.get(bap_id), self)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                changes = dialog.changes
                picture = changes.get("picture")
                # the wallet keeps its copy of the name and of a picture's web address (an inline
                # picture is too large for it): a wallet restored from a backup keeps them
                try:
                    self.wallet.set_profile(bap_id, changes.get("displayName"),
                                            None if picture is None or picture.startswith("data:") else picture,
                                            dialog.email_value())
                except WalletError as exc:
                    self.error.setText(str(exc))
                    return
                self.profiles.update(bap_id, changes)
                self.refresh()
                if self.on_profile_saved is not None:
                    self.on_profile_saved(self.wallet.get_identity(bap_id))
        finally:
            dialog.deleteLater()

    def toggle_hidden(self) -> None:
        """Hide the selected identity (the wallet moves the default off it), or show it again."""
        bap_id = self.selected_bap_id()
        if not bap_id:
            return
        try:
            identity = self.wallet.get_identity(bap_id)
            visible = self.wallet.identities()
        except WalletError as exc:
            self.error.setText(str(exc))
            return
        if not identity.hidden and [i.bap_id for i in visible] == [bap_id]:
            self.error.setText("Keep at least one identity visible: it signs when no other is chosen.")
            return
        self._call(self.wallet.hide_identity, bap_id, not identity.hidden)

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
