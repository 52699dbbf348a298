"""The Qt GUI (PySide6): windows, dialogs, tray. No crypto or storage logic lives here;
every action calls the wallet, the signer service or the embedded server."""
