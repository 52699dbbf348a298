"""Suite-wide fixtures. Run the suite through ``tests/run-suite`` (``make test``),
which provides a private D-Bus session and an unlocked gnome-keyring."""
