"""Example relying parties for a Sigil server (see each folder's README)."""
