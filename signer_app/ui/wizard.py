"""First run: create a wallet (show the words once, quiz three back) or import one,
choose the unlock passphrase (strength shown), name the first identity."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QStackedWidget,
    QVBoxLayout, QWidget,
)

from signer_app.ui.qtcompat import emit

from signer_app.onboarding import generate_mnemonic, normalize_mnemonic, quiz_positions
from signer_app.ui.strength import StrengthMeter
from signer_app.ui.widgets import button, label
from signer_app.wallet import InvalidMnemonic, Wallet, WalletError
from signer_app.wallet.backup import BackupContents, BackupFileError, read_backup, read_backup_file


class _Page(QWidget):
    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        centered = QHBoxLayout(self)
        column = QWidget()
        column.setMaximumWidth(640)
        centered.addStretch(1)
        centered.addWidget(column, 4)
        centered.addStretch(1)
        outer = QVBoxLayout(column)
        outer.setContentsMargins(24, 48, 24, 28)
        outer.setSpacing(14)
        outer.addWidget(label(title, "title"))
        outer.addWidget(label(subtitle, "subtitle", wrap=True))
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body)
        outer.addStretch(1)
        self.error = label("", "error", wrap=True)
        outer.addWidget(self.error)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        outer.addLayout(self.buttons)


class FirstRunWizard(QStackedWidget):
    """Emits ``completed`` once the wallet exists and is unlocked."""

    completed = Signal()

    def __init__(self, wallet: Wallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = wallet
        self._mnemonic = ""
        self._mode = "create"
        self._backup: BackupContents | None = None
        self.quiz: list[int] = []
        self._build_welcome()
        self._build_show()
        self._build_verify()
        self._build_import()
        self._build_backup()
        self._build_passphrase()
        self._build_identity()
        self.setCurrentWidget(self.welcome_page)

    # -- pages -----------------------------------------------------------------------------

    def _build_welcome(self) -> None:
        page = _Page("Welcome to Sigil",
                     "Sign in to web apps with a Bitcoin identity instead of a password. Your keys stay "
                     "on this computer, in the system keyring, and nothing is signed without your approval.")
        self.create_button = button("Create a new wallet", "primary", self.start_create)
        self.import_button = button("Import a recovery phrase", slot=self.start_import)
        self.backup_button = button("Import a backup file", slot=self.start_backup)
        for b in (self.create_button, self.import_button, self.backup_button):
            b.setMinimumHeight(44)
            page.body.addWidget(b)
        self.welcome_page = page
        self.addWidget(page)

    def _build_show(self) -> None:
        page = _Page("Your recovery phrase",
                     "Write these 12 words down, in order, and keep them somewhere safe and offline. They are "
                     "the only way to restore your identities. Sigil shows them this once.")
        frame = QFrame()
        frame.setObjectName("mnemonic")
        self.words_grid = QGridLayout(frame)
        self.words_grid.setContentsMargins(18, 14, 18, 14)
        self.words_grid.setHorizontalSpacing(24)
        self.words_grid.setVerticalSpacing(8)
        self.word_labels: list = []
        page.body.addWidget(frame)
        self.written_check = QCheckBox("I have written these words down")
        page.body.addWidget(self.written_check)
        back = button("Back", slot=self.back_to_welcome)
        self.show_next = button("Continue", "primary", self.to_verify)
        self.show_next.setEnabled(False)
        self.written_check.toggled.connect(self.show_next.setEnabled)
        page.buttons.addWidget(back)
        page.buttons.addWidget(self.show_next)
        self.show_page = page
        self.addWidget(page)

    def _build_verify(self) -> None:
        page = _Page("Check your backup", "Type the words you wrote down at these positions.")
        self.verify_grid = QGridLayout()
        self.verify_grid.setHorizontalSpacing(12)
        self.verify_edits: list[QLineEdit] = []
        self.verify_captions: list = []
        for row in range(3):
            caption = label("")
            edit = QLineEdit()
            edit.returnPressed.connect(self.check_quiz)
            self.verify_grid.addWidget(caption, row, 0)
            self.verify_grid.addWidget(edit, row, 1)
            self.verify_captions.append(caption)
            self.verify_edits.append(edit)
        page.body.addLayout(self.verify_grid)
        back = button("Show the words again", slot=lambda: self.setCurrentWidget(self.show_page))
        self.verify_next = button("Continue", "primary", self.check_quiz)
        page.buttons.addWidget(back)
        page.buttons.addWidget(self.verify_next)
        self.verify_page = page
        self.addWidget(page)

    def _build_import(self) -> None:
        page = _Page("Import a recovery phrase", "Enter your 12 or 24 words, separated by spaces.")
        self.import_edit = QPlainTextEdit()
        self.import_edit.setPlaceholderText("word1 word2 word3 …")
        self.import_edit.setFixedHeight(110)
        page.body.addWidget(self.import_edit)
        self.import_next = self._back_and_continue(page, self.check_import)
        self.import_page = page
        self.addWidget(page)

    def _back_and_continue(self, page: _Page, on_continue) -> QPushButton:
        """A page's "Back" (to the welcome page) and "Continue" buttons; returns "Continue"."""
        page.buttons.addWidget(button("Back", slot=self.back_to_welcome))
        forward = button("Continue", "primary", on_continue)
        page.buttons.addWidget(forward)
        return forward

    def _build_backup(self) -> None:
        page = _Page("Import a backup file",
                     "An encrypted .bep backup from TokenPass, another Sigma wallet (bitcoin-backup) or Sigil. "
                     "Your identities keep their names and BAP IDs.")
        row = QHBoxLayout()
        self.backup_path_edit = QLineEdit()
        self.backup_path_edit.setPlaceholderText("Backup file (.bep)")
        row.addWidget(self.backup_path_edit, 1)
        self.backup_choose_button = button("Choose…", slot=self.choose_backup_file)
        row.addWidget(self.backup_choose_button)
        page.body.addLayout(row)
        self.backup_password_edit = QLineEdit()
        self.backup_password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.backup_password_edit.setPlaceholderText("The backup file's password")
        self.backup_password_edit.returnPressed.connect(self.check_backup)
        page.body.addWidget(self.backup_password_edit)
        self.backup_next = self._back_and_continue(page, self.check_backup)
        self.backup_page = page
        self.addWidget(page)

    def _build_passphrase(self) -> None:
        page = _Page("Choose an unlock passphrase",
                     "Sigil asks for it when the wallet is locked. It encrypts your keys on this computer; "
                     "it is not part of your recovery phrase.")
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setPlaceholderText("Passphrase (at least 8 characters)")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_edit.setPlaceholderText("Repeat the passphrase")
        self.backup_note = label("", "subtitle", wrap=True)  # what a chosen backup holds
        self.backup_note.hide()
        page.body.addWidget(self.backup_note)
        self.strength = StrengthMeter()
        self.strength_bar, self.strength_label = self.strength.bar, self.strength.label
        for w in (self.passphrase_edit, self.confirm_edit, self.strength):
            page.body.addWidget(w)
        self.passphrase_edit.textChanged.connect(self._update_strength)
        self.confirm_edit.textChanged.connect(self._update_strength)
        self.passphrase_next = button("Continue", "primary", self.to_identity)
        self.passphrase_next.setEnabled(False)
        page.buttons.addWidget(self.passphrase_next)
        self.passphrase_page = page
        self.addWidget(page)

    def _build_identity(self) -> None:
        page = _Page("Name your first identity",
                     "A label only you see, e.g. “Personal” or “Work”. You can add more identities later.")
        self.name_edit = QLineEdit("Personal")
        self.name_edit.returnPressed.connect(self.finish)
        page.body.addWidget(self.name_edit)
        back = button("Back", slot=lambda: self.setCurrentWidget(self.passphrase_page))
        self.finish_button = button("Create identity", "primary", self.finish)
        page.buttons.addWidget(back)
        page.buttons.addWidget(self.finish_button)
        self.identity_page = page
        self.addWidget(page)

    # -- flow ------------------------------------------------------------------------------

    def back_to_welcome(self) -> None:
        self._mnemonic = ""
        self._backup = None
        self.backup_note.hide()
        self.backup_password_edit.clear()
        self.setCurrentWidget(self.welcome_page)

    def start_create(self) -> None:
        self._mode = "create"
        self._mnemonic = generate_mnemonic(12)
        words = self._mnemonic.split()
        for widget in self.word_labels:
            widget.deleteLater()
        self.word_labels = []
        for i, word in enumerate(words):
            cell = label(f"<span style='color:#9ca3af'>{i + 1:>2}.</span>&nbsp;&nbsp;<b>{escape(word)}</b>", rich=True)
            cell.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            self.words_grid.addWidget(cell, i % 6, i // 6)
            self.word_labels.append(cell)
        self.written_check.setChecked(False)
        self.setCurrentWidget(self.show_page)

    def shown_words(self) -> list[str]:
        """The words on the backup page, as a person reads them (tests use this)."""
        return [w.text().rsplit("<b>", 1)[1].split("</b>")[0] for w in self.word_labels]

    def to_verify(self) -> None:
        self.quiz = quiz_positions(len(self._mnemonic.split()))
        for caption, edit, pos in zip(self.verify_captions, self.verify_edits, self.quiz):
            caption.setText(f"Word #{pos + 1}")
            edit.clear()
        self.verify_page.error.setText("")
        self.setCurrentWidget(self.verify_page)
        self.verify_edits[0].setFocus()

    def check_quiz(self) -> None:
        words = self._mnemonic.split()
        wrong = [pos + 1 for edit, pos in zip(self.verify_edits, self.quiz)
                 if edit.text().strip().lower() != words[pos]]
        if wrong:
            self.verify_page.error.setText(
                f"Word #{wrong[0]} does not match. Check your backup, or show the words again.")
            return
        self.verify_page.error.setText("")
        self.setCurrentWidget(self.passphrase_page)
        self.passphrase_edit.setFocus()

    def start_import(self) -> None:
        self._mode = "import"
        self.import_edit.clear()
        self.import_page.error.setText("")
        self.setCurrentWidget(self.import_page)

    def check_import(self) -> None:
        try:
            self._mnemonic = normalize_mnemonic(self.import_edit.toPlainText())
        except InvalidMnemonic as exc:
            self.import_page.error.setText(str(exc))
            return
        self.import_edit.clear()
        self.import_page.error.setText("")
        self.setCurrentWidget(self.passphrase_page)

    def start_backup(self) -> None:
        self._mode = "backup"
        self._backup = None
        self.backup_password_edit.clear()
        self.backup_page.error.setText("")
        self.setCurrentWidget(self.backup_page)

    def choose_backup_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a backup file", "", "Backups (*.bep);;All files (*)")
        if path:
            self.backup_path_edit.setText(path)
            self.backup_password_edit.setFocus()

    def check_backup(self) -> None:
        """Read and decrypt the file now, so a wrong password is told before anything else."""
        path = self.backup_path_edit.text().strip()
        if not path:
            self.backup_page.error.setText("Choose a backup file first.")
            return
        try:
            data = read_backup_file(path)
        except BackupFileError as exc:
            self.backup_page.error.setText("That file is too large to be a backup." if exc.reason is None
                                           else f"Cannot read that file: {exc.reason}.")
            return
        try:
            self._backup = read_backup(data, self.backup_password_edit.text())
        except WalletError as exc:
            message = str(exc)
            self.backup_page.error.setText(message[:1].upper() + message[1:] + ".")
            return
        self.backup_password_edit.clear()
        self.backup_page.error.setText("")
        self.backup_note.setText(f"Importing {self.backup_summary()}")
        self.backup_note.show()
        self.setCurrentWidget(self.passphrase_page)
        self.passphrase_edit.setFocus()

    def backup_summary(self) -> str:
        """What the chosen backup holds, for the passphrase page (tests read it too)."""
        if self._backup is None:
            return ""
        names = ", ".join(i.label for i in self._backup.identities)
        return f"{self._backup.source}: {names}"

    def _update_strength(self) -> None:
        ok = self.strength.update_for(self.passphrase_edit.text(), self.confirm_edit.text())
        self.passphrase_next.setEnabled(ok)

    def to_identity(self) -> None:
        if self._mode == "backup":
            self.finish()
            return
        self.setCurrentWidget(self.identity_page)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def finish(self) -> None:
        passphrase = self.passphrase_edit.text()
        name = self.name_edit.text().strip() or "Identity 1"
        error_page = self.passphrase_page if self._mode == "backup" else self.identity_page
        try:
            if self._mode == "backup" and self._backup is not None:
                self.wallet.install_backup(self._backup, passphrase)
            else:
                self.wallet.import_mnemonic(self._mnemonic, passphrase, label=name)
            if self.wallet.is_locked:
                self.wallet.unlock(passphrase)
        except WalletError as exc:
            error_page.error.setText(str(exc))
            return
        self._mnemonic = ""
        self._backup = None
        self.passphrase_edit.clear()
        self.confirm_edit.clear()
        for widget in self.word_labels:
            widget.setText("")
        emit(self.completed)
