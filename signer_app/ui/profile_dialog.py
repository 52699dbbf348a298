"""Edit an identity's profile: the display name, username and picture its sign-ins carry to
Sigil servers (signer_app/profiles.py keeps them), and the e-mail address OIDC apps of this
computer's auth server see (kept on the wallet's identity, never verified).

The picture is an https URL or an image file the user picks: the file is read, cropped,
scaled and re-encoded by :func:`signer_app.profiles.picture_from_file` and kept as an inline
``data:`` URL, shown here as a preview. Nothing is fetched from the network for a URL. Every
problem is shown in the dialog as plain text and keeps whatever was entered.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from auth_server.admin import clean_user_email
from signer_app.profiles import (
    PICTURE_SIDE,
    PictureError,
    ProfileError,
    picture_bytes,
    picture_from_file,
    username_problem,
    validate_profile,
)
from signer_app.ui.widgets import button, label
from signer_app.wallet import Identity

PREVIEW_SIDE = 96
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif)"
USERNAME_HINT = "Lowercase, 3 to 32 characters: a–z, 0–9, '.', '_' or '-'. Optional."


def image_url_problem(url: str) -> str:
    """Why ``url`` cannot be a profile picture's web address ("" when it is fine or empty)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "The picture's web address must start with https://."
    return ""


class ProfileDialog(QDialog):
    """Collects and checks the fields; the caller stores :attr:`changes` and :meth:`email_value`."""

    def __init__(self, identity: Identity, profile: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        """``profile`` is the identity's stored record (``ProfileStore.get``); a field it lacks
        starts from the wallet's older name and image fields."""
        super().__init__(parent)
        profile = profile or {}
        #: the validated ``displayName``, ``username`` and ``picture`` once accepted (None clears one)
        self.changes: dict[str, str | None] = {}
        self._inline_picture: str | None = None
        self.setWindowTitle("Sigil — edit profile")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(12)
        layout.addWidget(label(f"Profile of “{identity.label}”", "title"))
        layout.addWidget(label(
            "Your name, username and picture go to the Sigil servers you sign in to with this identity; "
            "apps you sign in to see your name and picture only when you allow it. All are optional.",
            "muted", wrap=True))

        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.name_edit = QLineEdit(profile.get("displayName") or identity.name or "")
        self.name_edit.setPlaceholderText("Display name")
        form.addRow("Name", self.name_edit)

        self.username_edit = QLineEdit(profile.get("username") or "")
        self.username_edit.setPlaceholderText("alice")
        self.username_edit.textChanged.connect(self._check_username)
        username_box = QVBoxLayout()
        username_box.setSpacing(3)
        username_box.addWidget(self.username_edit)
        self.username_hint = label(USERNAME_HINT, "muted", wrap=True)
        username_box.addWidget(self.username_hint)
        self.username_problem = label("", "error", wrap=True)
        self.username_problem.hide()
        username_box.addWidget(self.username_problem)
        form.addRow("Username", username_box)

        picture_row = QHBoxLayout()
        picture_row.setSpacing(12)
        self.preview = QLabel()
        self.preview.setObjectName("picturePreview")
        self.preview.setFixedSize(PREVIEW_SIDE, PREVIEW_SIDE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("QLabel#picturePreview { border: 1px solid #d1d5db; border-radius: 6px; }")
        picture_row.addWidget(self.preview)
        picture_side = QVBoxLayout()
        picture_side.setSpacing(6)
        self.picture_edit = QLineEdit()
        self.picture_edit.setPlaceholderText("https://…/avatar.png")
        self.picture_edit.textChanged.connect(self._url_typed)
        picture_side.addWidget(self.picture_edit)
        picture_buttons = QHBoxLayout()
        self.choose_button = button("Choose image…", slot=self.choose_image)
        self.remove_button = button("Remove picture", "link", self.remove_picture)
        picture_buttons.addWidget(self.choose_button)
        picture_buttons.addWidget(self.remove_button)
        picture_buttons.addStretch(1)
        picture_side.addLayout(picture_buttons)
        self.picture_note = label("", "muted", wrap=True)
        picture_side.addWidget(self.picture_note)
        picture_side.addStretch(1)
        picture_row.addLayout(picture_side, 1)
        form.addRow("Picture", picture_row)

        self.email_edit = QLineEdit(identity.email or "")
        self.email_edit.setPlaceholderText("you@example.org (for apps that want one; not verified)")
        form.addRow("E-mail", self.email_edit)
        layout.addLayout(form)

        self.error = label("", "error", wrap=True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        picture = profile.get("picture") or identity.image or ""
        if picture.startswith("data:"):
            self._inline_picture = picture
        else:
            self.picture_edit.setText(picture)
        self._show_picture()
        self._check_username()

    # -- the picture -------------------------------------------------------------------------

    def choose_image(self) -> None:
        """"Choose image…": the system's file dialog, then :meth:`load_image`."""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a picture", "", IMAGE_FILTER)
        if path:
            self.load_image(path)

    def load_image(self, path: str) -> bool:
        """Make the picture from the image file at ``path``; on a refusal say why and keep the
        picture there was. Tests call this in place of the file dialog."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a large photo takes a moment
        try:
            picture = picture_from_file(path)
        except PictureError as exc:
            self.error.setText(str(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self._inline_picture = picture
        self.picture_edit.clear()
        self.error.setText("")
        self._show_picture()
        return True

    def remove_picture(self) -> None:
        self._inline_picture = None
        self.picture_edit.clear()
        self._show_picture()

    def picture_value(self) -> str | None:
        """The picture to store: the chosen image's data URL, the URL typed, or ``None``."""
        return self._inline_picture or self.picture_edit.text().strip() or None

    def _url_typed(self, text: str) -> None:
        if text.strip():
            self._inline_picture = None  # a web address typed replaces a chosen image
        self._show_picture()

    def _show_picture(self) -> None:
        data = picture_bytes(self._inline_picture) if self._inline_picture else None
        pixmap = QPixmap()
        if data is not None and pixmap.loadFromData(data):
            self.preview.setPixmap(pixmap.scaled(PREVIEW_SIDE, PREVIEW_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))
            self.picture_note.setText(f"From a file: {pixmap.width()} × {pixmap.height()} pixels, "
                                      f"{max(1, round(len(data) / 1024))} KiB, stored with the profile. "
                                      f"Images are cut to a centred square of at most {PICTURE_SIDE} pixels.")
        else:
            self.preview.clear()
            if self.picture_edit.text().strip():
                self.preview.setText("Web address")
                self.picture_note.setText("Apps load the picture from this address; Sigil does not fetch it.")
            else:
                self.preview.setText("No picture")
                self.picture_note.setText("A web address, or an image from this computer "
                                          "(PNG, JPEG, WebP or GIF).")
        self.remove_button.setEnabled(self.picture_value() is not None)

    # -- checking and the result ---------------------------------------------------------------

    def _check_username(self) -> None:
        problem = username_problem(self.username_edit.text().strip())
        self.username_problem.setText(problem[:1].upper() + problem[1:] + "." if problem else "")
        self.username_problem.setVisible(bool(problem))

    def profile_values(self) -> dict[str, str | None]:
        """The profile fields as entered (``None`` for an empty one), before checking."""
        return {"displayName": self.name_edit.text().strip() or None,
                "username": self.username_edit.text().strip() or None,
                "picture": self.picture_value()}

    def accept(self) -> None:
        values = self.profile_values()
        problem = image_url_problem(values["picture"] or "") if not self._inline_picture else ""
        changes: dict[str, str | None] = {}
        if not problem:
            try:
                changes = validate_profile(values)
            except ProfileError as exc:
                text = str(exc)
                problem = text[:1].upper() + text[1:] + "."
        if not problem:
            try:
                clean_user_email(self.email_edit.text())
            except ValueError as exc:
                problem = f"The e-mail address: {exc}."
        if problem:
            self.error.setText(problem)
            return
        self.changes = changes
        super().accept()

    def email_value(self) -> str | None:
        return clean_user_email(self.email_edit.text())

    def values(self) -> tuple[str | None, str | None]:
        """(name, picture) as entered, ``None`` for an empty field."""
        values = self.profile_values()
        return values["displayName"], values["picture"]
