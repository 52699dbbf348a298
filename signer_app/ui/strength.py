"""A passphrase strength bar with its words, shared by the first-run wizard and the
Change passphrase dialog so both judge a new passphrase the same way."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QVBoxLayout, QWidget

from signer_app.onboarding import passphrase_strength
from signer_app.ui.widgets import label

STRENGTH_COLORS = ("#dc2626", "#f97316", "#eab308", "#22c55e", "#059669")


class StrengthMeter(QWidget):
    """Shows how strong ``passphrase`` is and whether ``confirm`` matches it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.bar = QProgressBar()
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.label = label("", "muted")
        layout.addWidget(self.bar)
        layout.addWidget(self.label)

    def update_for(self, passphrase: str, confirm: str) -> bool:
        """Refresh the bar and words; True when the passphrase is acceptable and confirmed."""
        strength = passphrase_strength(passphrase)
        self.bar.setValue(strength.score if passphrase else 0)
        color = STRENGTH_COLORS[strength.score]
        self.bar.setStyleSheet(f"QProgressBar::chunk {{ background: {color}; border-radius: 3px; }}")
        match = passphrase == confirm
        hint = strength.label if passphrase else ""
        if passphrase and confirm and not match:
            hint += " · the two passphrases differ"
        self.label.setText(hint)
        return strength.acceptable and match
