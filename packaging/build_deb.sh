#!/usr/bin/env bash
# Turns the PyInstaller folder (dist/sigil) into a Debian package with dpkg-deb:
#
#   /opt/sigil/                               the one-folder app (sigil + _internal/)
#   /usr/bin/sigil -> /opt/sigil/sigil
#   /usr/share/applications/sigil.desktop
#   /usr/share/icons/hicolor/<size>/apps/sigil.png  (+ scalable/apps/sigil.svg)
#   /usr/share/doc/sigil/copyright
#
# Usage: packaging/build_deb.sh [APP_DIR] [OUT_DIR]   (defaults: dist/sigil, dist)
# Prints the path of the .deb on its last line. The version is auth_server.__version__.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP_DIR="$(cd "${1:-$ROOT/dist/sigil}" && pwd)"
OUT_DIR="$(mkdir -p "${2:-$ROOT/dist}" && cd "${2:-$ROOT/dist}" && pwd)"
PYTHON="${PYTHON:-python3}"

[ -x "$APP_DIR/sigil" ] || { echo "build_deb: $APP_DIR/sigil is missing; run PyInstaller first" >&2; exit 1; }

# One source of truth: auth_server.__version__ (PEP 440), written the Debian way
# (0.2.0rc1 -> 0.2.0~rc1, so that a pre-release sorts before its release).
PY_VERSION="$(cd "$ROOT" && "$PYTHON" -c 'import auth_server; print(auth_server.__version__)')"
DEB_VERSION="$(printf '%s' "$PY_VERSION" | sed -E 's/\.?(a|b|rc|dev)([0-9]+)/~\1\2/g; s/\+/+local./')"
ARCH="$(dpkg --print-architecture)"
# The bundled libraries were linked on this machine: ask for at least its glibc.
GLIBC="$(dpkg-query -W -f='${Version}' libc6 2>/dev/null | sed -E 's/-.*//' || true)"

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/sigil-deb.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/sigil"

install -d "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
           "$PKG/usr/share/doc/sigil" "$PKG/usr/share/icons"
cp -a "$APP_DIR" "$PKG/opt/sigil"
ln -s /opt/sigil/sigil "$PKG/usr/bin/sigil"
install -m 0644 "$ROOT/resources/sigil.desktop" "$PKG/usr/share/applications/sigil.desktop"
cp -r "$ROOT/resources/icons/hicolor" "$PKG/usr/share/icons/hicolor"

cat > "$PKG/usr/share/doc/sigil/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sigil
Comment: Sigil bundles CPython, Qt 6 / PySide6 (LGPLv3) and the Python packages listed in
 /opt/sigil/_internal/*.dist-info, each under its own licence.

Files: *
License: MIT
EOF

# Normalise permissions: dpkg-deb --root-owner-group makes every file root's.
find "$PKG" -type d -exec chmod 0755 {} +
find "$PKG" -type f -exec chmod go-w,a+r {} +
chmod 0755 "$PKG/opt/sigil/sigil"

# What the bundle does not carry (ELF NEEDED entries it leaves to the system: glibc, GL/EGL,
# libxcb, Wayland client libs), plus fontconfig's config and a font for the bundled
# libfontconfig, and a Secret Service provider for the keyring.
DEPENDS="libc6 (>= ${GLIBC:-2.36}), libgl1, libegl1, libxcb1, libwayland-client0, libwayland-cursor0, libwayland-egl1, fontconfig-config, fonts-dejavu-core | fonts-freefont-ttf"
INSTALLED_KB="$(du -sk --apparent-size "$PKG" | cut -f1)"

cat > "$PKG/DEBIAN/control" <<EOF
Package: sigil
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: Sigil developers <sigil@localhost>
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS
Recommends: gnome-keyring | kwalletmanager | keepassxc, dbus-user-session
Section: utils
Priority: optional
Description: Bitcoin identity signer with an embedded Sigma OAuth server
 Sigil lets you sign in to web apps with a Bitcoin key instead of a password.
 It keeps a BIP39 wallet and BAP identities in the OS keyring, asks before every
 signature, and runs an embedded OAuth 2.0 / OpenID Connect server that speaks the
 Sigma Identity protocol on this machine.
EOF

# The icon and desktop caches also refresh through dpkg triggers of hicolor-icon-theme and
# desktop-file-utils; these scripts cover systems without those packages' triggers.
cat > "$PKG/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
fi
exit 0
EOF
cat > "$PKG/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
fi
# User data (wallet metadata, the server's database) and keyring entries are the user's:
# they stay. packaging/README.md and the README say how to remove them.
exit 0
EOF
chmod 0755 "$PKG/DEBIAN/postinst" "$PKG/DEBIAN/postrm"

DEB="$OUT_DIR/sigil_${DEB_VERSION}_${ARCH}.deb"
# zstd -12 (the default here) packs the ~140 MB folder in ~15 s on 2 cores at ~50 MB;
# xz -6 saves ~18% for ~3 minutes. Release builds: DEB_COMPRESSION=xz DEB_LEVEL=6.
# Every dpkg new enough for the glibc the bundle needs (Debian 12+, Ubuntu 23.04+) reads zstd.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-zstd}" -z"${DEB_LEVEL:-12}" \
  --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
