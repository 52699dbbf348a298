#!/usr/bin/env bash
# `make package`: the PyInstaller one-folder app (dist/sigil) and the Debian package built
# from it (dist/sigil_<version>_<arch>.deb); prints the sizes and how long each step took.
# PYTHON is the venv's interpreter with the `package` extra installed (the Makefile's job).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-.venv/bin/python}"

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/sigil.spec
built=$(date +%s)
"dist/sigil/sigil" --version
DEB="$(PYTHON="$PYTHON" packaging/build_deb.sh dist/sigil dist | tail -n 1)"
done_at=$(date +%s)

app_mb=$(du -sm dist/sigil | cut -f1)
deb_bytes=$(stat -c %s "$DEB")
echo "app folder:  dist/sigil  ${app_mb} MB  (PyInstaller $((built - start)) s)"
echo "package:     ${DEB#"$ROOT"/}  $(awk "BEGIN{printf \"%.1f\", $deb_bytes/1048576}") MB ($deb_bytes bytes)  (dpkg-deb $((done_at - built)) s)"
