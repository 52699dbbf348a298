"""First-run helpers the wizard calls: a fresh mnemonic, the backup quiz, passphrase strength.

Kept out of ``ui/`` so the wizard holds no crypto: the words come from the wallet's
keystore, and the quiz and strength rules are plain functions the tests check directly.
"""

from __future__ import annotations

import math
import random
import re
import secrets
from dataclasses import dataclass

from signer_app.wallet.keystore import generate_mnemonic, normalize_mnemonic

MIN_PASSPHRASE = 8
__all__ = ["PassphraseStrength", "generate_mnemonic", "normalize_mnemonic", "passphrase_strength", "quiz_positions"]


def quiz_positions(word_count: int, count: int = 3, rng: random.Random | None = None) -> list[int]:
    """Which words (0-based, ascending) the user must type back to prove the backup."""
    chooser = rng or secrets.SystemRandom()
    return sorted(chooser.sample(range(word_count), count))


@dataclass(frozen=True)
class PassphraseStrength:
    score: int  # 0..4
    label: str  # for people
    acceptable: bool
    bits: float


_LABELS = ("Too weak", "Weak", "Fair", "Strong", "Very strong")
_COMMON = {"password", "passw0rd", "12345678", "123456789", "qwertyui", "iloveyou", "letmein1", "sigil123"}


def passphrase_strength(passphrase: str) -> PassphraseStrength:
    """A rough entropy estimate: character pool × length, less for repeats and runs.

    Not zxcvbn, but it steers people away from the obvious: short, one character class,
    repeated characters, common passwords.
    """
    if not passphrase:
        return PassphraseStrength(0, "Empty", False, 0.0)
    pool = 0
    if re.search(r"[a-z]", passphrase):
        pool += 26
    if re.search(r"[A-Z]", passphrase):
        pool += 26
    if re.search(r"\d", passphrase):
        pool += 10
    if re.search(r"[^a-zA-Z\d]", passphrase):
        pool += 33
    distinct = len(set(passphrase))
    effective_len = min(len(passphrase), distinct * 2)
    bits = effective_len * math.log2(max(pool, 2))
    if passphrase.lower() in _COMMON:
        bits = min(bits, 10.0)
    score = 0 if bits < 28 else 1 if bits < 40 else 2 if bits < 56 else 3 if bits < 75 else 4
    if len(passphrase) < MIN_PASSPHRASE:
        score = 0
    return PassphraseStrength(score, _LABELS[score], len(passphrase) >= MIN_PASSPHRASE and score >= 1, bits)
