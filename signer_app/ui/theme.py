"""One stylesheet for the whole app: light surfaces, an indigo accent, roomy spacing."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#4f46e5"
ACCENT_DARK = "#4338ca"
DANGER = "#dc2626"
OK = "#059669"
TEXT = "#111827"
MUTED = "#6b7280"
BORDER = "#e5e7eb"
SURFACE = "#ffffff"
BACKGROUND = "#f5f6fa"

STYLESHEET = f"""
QWidget {{ color: {TEXT}; font-size: 10pt; }}
QMainWindow, QDialog, QWizard, QStackedWidget#root {{ background: {BACKGROUND}; }}
QLabel#title {{ font-size: 17pt; font-weight: 600; }}
QLabel#subtitle {{ color: {MUTED}; font-size: 10pt; }}
QLabel#section {{ font-size: 12pt; font-weight: 600; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#error {{ color: {DANGER}; }}
QLabel#ok {{ color: {OK}; }}
QLabel#mono, QLineEdit#mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }}
QLabel#badge {{ background: #eef2ff; color: {ACCENT_DARK}; border-radius: 8px; padding: 2px 8px; font-size: 9pt; }}
QLabel#pill_on {{ background: #d1fae5; color: #065f46; border-radius: 8px; padding: 2px 10px; }}
QLabel#pill_off {{ background: #fee2e2; color: #991b1b; border-radius: 8px; padding: 2px 10px; }}
QFrame#card {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 10px; }}
QFrame#header {{ background: {SURFACE}; border-bottom: 1px solid {BORDER}; }}
QFrame#mnemonic {{ background: {SURFACE}; border: 1px dashed #c7d2fe; border-radius: 10px; }}
QPushButton {{ background: {SURFACE}; border: 1px solid #d1d5db; border-radius: 7px; padding: 6px 14px; }}
QPushButton:hover {{ background: #f3f4f6; }}
QPushButton:disabled {{ color: #9ca3af; background: #f9fafb; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600; }}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:disabled {{ background: #a5b4fc; border-color: #a5b4fc; }}
QPushButton#danger {{ color: {DANGER}; border-color: #fca5a5; }}
QPushButton#danger:hover {{ background: #fef2f2; }}
QPushButton#link {{ border: none; background: transparent; color: {ACCENT}; padding: 2px 4px; }}
QLineEdit, QPlainTextEdit, QSpinBox, QComboBox {{
    background: {SURFACE}; border: 1px solid #d1d5db; border-radius: 7px; padding: 5px 8px;
    selection-background-color: #c7d2fe; }}
QLineEdit:focus, QPlainTextEdit:focus, QSpinBox:focus, QComboBox:focus {{ border: 1px solid {ACCENT}; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ background: transparent; padding: 8px 16px; margin-right: 4px; color: {MUTED};
    border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {ACCENT}; border-bottom: 2px solid {ACCENT}; font-weight: 600; }}
QTableWidget, QListWidget {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 10px;
    gridline-color: #f3f4f6; alternate-background-color: #fafafa; }}
QListWidget::item {{ padding: 8px; border-radius: 6px; }}
QListWidget::item:selected {{ background: #eef2ff; color: {TEXT}; }}
QTableWidget::item {{ padding: 4px 6px; }}
QTableWidget::item:selected {{ background: #eef2ff; color: {TEXT}; }}
QHeaderView::section {{ background: {SURFACE}; border: none; border-bottom: 1px solid {BORDER};
    padding: 6px; color: {MUTED}; font-weight: 600; }}
QProgressBar {{ border: none; background: {BORDER}; border-radius: 3px; height: 6px; }}
QProgressBar::chunk {{ border-radius: 3px; background: {ACCENT}; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 10px; margin-top: 14px; padding: 12px; background: {SURFACE}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 12px; padding: 0 4px; font-weight: 600; }}
"""


def apply_theme(app: QApplication) -> None:
    font = QFont("DejaVu Sans", 10)
    app.setFont(font)
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    app.setPalette(palette)
    app.setStyle("Fusion")
    from signer_app.resources import stylesheet

    app.setStyleSheet(stylesheet() or STYLESHEET)  # resources/sigil.qss; the built-in copy if missing
