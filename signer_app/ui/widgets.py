"""Small reusable widgets: labelled copy fields, cards, QR codes, headings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)


def label(text: str, name: str = "", wrap: bool = False, rich: bool = False) -> QLabel:
    """A QLabel that shows ``text`` literally unless ``rich`` is asked for.

    QLabel's default (AutoText) renders anything that looks like HTML as rich text, so a
    site could pass an app name such as ``<font color=green>Verified</font><!--`` and
    restyle or hide what the user reads. Every label here is PlainText by default; the
    few that use markup pass ``rich=True`` and must :func:`html.escape` outside values.
    """
    widget = QLabel()
    widget.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    widget.setText(text)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    return widget


def button(text: str, name: str = "", slot=None) -> QPushButton:
    widget = QPushButton(text)
    if name:
        widget.setObjectName(name)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    if slot is not None:
        widget.clicked.connect(slot)
    return widget


def read_only_table(headers: list[str], stretch: int, fit: tuple[int, ...]) -> QTableWidget:
    """A list-like table the user reads and selects rows in, but never edits.

    Column ``stretch`` takes the spare width; the ``fit`` columns size to their contents.
    """
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    header = table.horizontalHeader()
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    for col in fit:
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    return table


def card(margins: int = 16, spacing: int = 10) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(spacing)
    return frame, layout


class CopyField(QWidget):
    """A read-only value with a Copy button (BAP ID, address, pubkey)."""

    def __init__(self, caption: str, value: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(label(caption, "muted"))
        row = QHBoxLayout()
        row.setSpacing(6)
        self.edit = QLineEdit(value)
        self.edit.setObjectName("mono")
        self.edit.setReadOnly(True)
        self.copy_button = button("Copy", slot=self.copy)
        row.addWidget(self.edit, 1)
        row.addWidget(self.copy_button)
        layout.addLayout(row)

    def set_value(self, value: str) -> None:
        self.edit.setText(value)
        self.edit.setCursorPosition(0)

    def value(self) -> str:
        return self.edit.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())
        self.copy_button.setText("Copied")


def qr_pixmap(data: str, size: int = 180) -> QPixmap:
    """A crisp QR code of ``data`` (black modules on white, with a quiet zone)."""
    import qrcode  # only when an identity is shown: keeps startup light

    code = qrcode.QRCode(border=2, box_size=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    stride = (n + 3) // 4 * 4  # QImage rows are 32-bit aligned
    pixels = bytearray(b"\xff" * stride * n)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[y * stride + x] = 0x11
    # From bytes, not setPixel: PySide6 6.12.0's setPixel leaks a reference to None per call.
    image = QImage(bytes(pixels), n, n, stride, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.FastTransformation))
