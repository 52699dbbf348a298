"""The tray icon (lock, open, quit; shows pending requests) and the app icon."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from signer_app.ui.qtcompat import emit


def app_icon() -> QIcon:
    """The packaged icon (resources/icons), or a drawn one when the files are missing."""
    from signer_app import resources

    return resources.app_icon() or drawn_icon()


def tray_icon(pending: int = 0) -> QIcon:
    from signer_app import resources

    return resources.tray_icon(bool(pending)) or drawn_icon(pending)


def drawn_icon(badge: int = 0, size: int = 64) -> QIcon:
    """An indigo rounded square with a white "S"; a red dot with a count when requests wait."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#4f46e5"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(2, 2, size - 4, size - 4), size * 0.22, size * 0.22)
    p.setPen(QColor("white"))
    font = QFont("DejaVu Sans", int(size * 0.5))
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "S")
    if badge:
        r = size * 0.42
        p.setBrush(QColor("#dc2626"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QRectF(size - r, 0, r, r))
        p.setPen(QColor("white"))
        small = QFont("DejaVu Sans", int(r * 0.5))
        small.setBold(True)
        p.setFont(small)
        p.drawText(QRectF(size - r, 0, r, r), Qt.AlignmentFlag.AlignCenter, str(min(badge, 9)))
    p.end()
    return QIcon(pixmap)


class Tray(QObject):
    open_requested = Signal()
    lock_requested = Signal()
    quit_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(tray_icon())
        self.icon.setToolTip("Sigil")
        menu = QMenu()
        self.pending_action = QAction("No pending requests")
        self.pending_action.setEnabled(False)
        self.open_action = QAction("Open Sigil")
        self.lock_action = QAction("Lock")
        self.quit_action = QAction("Quit")
        self.about_action = QAction("About Sigil")
        self.about_action.triggered.connect(self.show_about)
        self.open_action.triggered.connect(self.open_requested)
        self.lock_action.triggered.connect(self.lock_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        for action in (self.pending_action, None, self.open_action, self.lock_action, None, self.about_action,
                       self.quit_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        if self.available:
            self.icon.show()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            emit(self.open_requested)

    def set_pending(self, count: int) -> None:
        self.pending_action.setText(f"{count} request{'s' if count != 1 else ''} waiting" if count
                                    else "No pending requests")
        self.icon.setIcon(tray_icon(count))
        self.icon.setToolTip(f"Sigil — {count} waiting" if count else "Sigil")

    def show_about(self) -> None:
        """Version and data locations (signer_app.ui.about)."""
        from signer_app.ui.about import AboutDialog

        self.about_dialog = AboutDialog()
        self.about_dialog.show()

    def hide(self) -> None:
        self.icon.hide()
