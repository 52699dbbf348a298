"""Work around a reference-count bug of PySide6 6.12.0's ``SignalInstance.emit``.

``emit()`` returns ``True`` without taking a reference, so every emit from Python drops
one reference to ``True`` that the caller then releases; a long-running app (or a test
session) eventually deallocates ``True`` and aborts ("bool_dealloc"). :func:`emit`
measures the bug once and puts the missing reference back, so it is a no-op on fixed
releases. Every emit in ``signer_app.ui`` goes through it.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    fired = Signal()


def _emit_drops_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.fired.emit()
    after = sys.getrefcount(True)
    if before - after >= 4:
        for _ in range(4):  # repay the probe's own losses
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        return True
    return False


_DROPS_REFERENCE = _emit_drops_a_reference()


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, minus the PySide6 6.12.0 reference leak."""
    result = signal.emit(*args)
    if _DROPS_REFERENCE and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
