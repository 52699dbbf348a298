"""The Server tab's team card: the embedded server's users and their groups, disabling, groups
and invitation links (the rules are :mod:`auth_server.team`'s, through EmbeddedServer)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QTableWidget, QTableWidgetItem, QWidget,
)

from signer_app.embedded_server import EmbeddedServer
from signer_app.ui.widgets import CopyField, button, card, label

COLUMNS = ("Name", "BAP ID", "Groups", "Status")


class TeamCard(QWidget):
    """Who may use the embedded server: a table of users, and what an administrator does to them."""

    def __init__(self, server: EmbeddedServer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = server
        self._user_ids: list[str] = []
        frame, t = card(20, 10)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        t.addWidget(label("Team", "section"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(140)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        t.addWidget(self.table)

        row = QHBoxLayout()
        self.group_combo = QComboBox()
        self.group_combo.setMinimumWidth(140)
        row.addWidget(self.group_combo)
        self.join_button = button("Add to group", slot=self.join)
        self.leave_button = button("Take out of group", slot=self.leave)
        self.disable_button = button("Disable", "danger", self.toggle_disabled)
        for w in (self.join_button, self.leave_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.disable_button)
        t.addLayout(row)

        row = QHBoxLayout()
        self.new_group_edit = QLineEdit()
        self.new_group_edit.setPlaceholderText("new group, e.g. staff")
        row.addWidget(self.new_group_edit)
        self.make_group_button = button("Make group", slot=self.make_group)
        row.addWidget(self.make_group_button)
        row.addStretch(1)
        self.invite_button = button("Invitation link", "primary", self.invite)
        row.addWidget(self.invite_button)
        t.addLayout(row)
        self.invite_field = CopyField("Invitation (shown once; joins the selected group)")
        self.invite_field.hide()
        t.addWidget(self.invite_field)
        self.message = label("", "muted", wrap=True)
        t.addWidget(self.message)
        self._selection_changed()

    # -- reading ------------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected_user_id()
        members = self.server.members()
        self._user_ids = [d.user.id for d in members]
        self.table.setRowCount(len(members))
        for row, d in enumerate(members):
            cells = (d.user.name, d.user.bap_id or "-", ", ".join(d.groups) or "-",
                     "disabled" if d.user.disabled else "active")
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))  # items show plain text
        if selected in self._user_ids:
            self.table.selectRow(self._user_ids.index(selected))
        current = self.group_combo.currentText()
        self.group_combo.clear()
        self.group_combo.addItems(self.server.group_names())
        if current:
            self.group_combo.setCurrentText(current)
        self._selection_changed()

    def selected_user_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self._user_ids[rows[0].row()] if rows and rows[0].row() < len(self._user_ids) else None

    def _selected_disabled(self) -> bool:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 3) if rows else None
        return item is not None and item.text() == "disabled"

    def _selection_changed(self) -> None:
        chosen = self.selected_user_id() is not None
        for w in (self.join_button, self.leave_button, self.disable_button):
            w.setEnabled(chosen)
        self.disable_button.setText("Enable" if chosen and self._selected_disabled() else "Disable")

    # -- acting -------------------------------------------------------------------------

    def _do(self, work, done: str) -> None:  # type: ignore[no-untyped-def]
        try:
            work()
        except ValueError as exc:  # auth_server.team.TeamError: the rule broken, in words
            self.message.setText(str(exc))
            return
        except Exception as exc:  # the store missing or unreadable: say so, keep the app running
            self.message.setText(f"Could not do that ({type(exc).__name__}).")
            return
        self.message.setText(done)
        self.refresh()

    def join(self) -> None:
        user_id, group = self.selected_user_id(), self.group_combo.currentText()
        if user_id and group:
            self._do(lambda: self.server.change_groups(user_id, add=(group,)), f"Added to {group}.")

    def leave(self) -> None:
        user_id, group = self.selected_user_id(), self.group_combo.currentText()
        if user_id and group:
            self._do(lambda: self.server.change_groups(user_id, remove=(group,)), f"Taken out of {group}.")

    def toggle_disabled(self) -> None:
        user_id = self.selected_user_id()
        if user_id is None:
            return
        disable = not self._selected_disabled()
        self._do(lambda: self.server.set_disabled(user_id, disable),
                 "Disabled: every session and token of this user has ended." if disable else "Enabled.")

    def make_group(self) -> None:
        name = self.new_group_edit.text()
        self._do(lambda: self.server.add_group(name), f"Group {name.strip()} made.")
        if self.message.text().startswith("Group "):
            self.new_group_edit.clear()

    def invite(self) -> None:
        group = self.group_combo.currentText()
        links: list[str] = []
        self._do(lambda: links.append(self.server.invite([group] if group else [])),
                 "Send this link to the person you invite: it works once, for 7 days.")
        if links:
            self.invite_field.set_value(links[0])
            self.invite_field.show()
