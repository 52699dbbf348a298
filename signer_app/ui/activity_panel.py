"""Activity tab: every approval and denial with time, origin and what was signed."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from signer_app.activity import ActivityLog
from signer_app.ui.widgets import read_only_table

OUTCOME_COLORS = {"approved": "#059669", "signed (grant)": "#4f46e5", "denied": "#dc2626", "timed out": "#d97706"}


class ActivityPanel(QWidget):
    def __init__(self, activity: ActivityLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.activity = activity
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = read_only_table(["Time", "Outcome", "Origin", "What"], stretch=3, fit=(0, 1, 2))
        layout.addWidget(self.table)

    def refresh(self) -> None:
        entries = self.activity.recent(200)
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            when = datetime.fromtimestamp(entry.at).strftime("%Y-%m-%d %H:%M:%S")
            outcome = QTableWidgetItem(entry.outcome)
            color = OUTCOME_COLORS.get(entry.outcome)
            if color:
                outcome.setForeground(QColor(color))
            self.table.setItem(row, 0, QTableWidgetItem(when))
            self.table.setItem(row, 1, outcome)
            self.table.setItem(row, 2, QTableWidgetItem(entry.origin))
            self.table.setItem(row, 3, QTableWidgetItem(entry.what))

    def rows(self) -> list[tuple[str, str, str]]:
        """(outcome, origin, what) of each shown row, newest first (tests read this)."""
        return [tuple(self.table.item(r, c).text() for c in (1, 2, 3)) for r in range(self.table.rowCount())]
