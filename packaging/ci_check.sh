#!/usr/bin/env bash
# From source to an installed, running app and back, on this machine (as root, Debian):
#
#   1. make package                      (skipped with --no-build: uses the newest dist/*.deb)
#   2. apt-get install ./dist/sigil_*.deb (pulls the package's Depends from Debian)
#   3. checks the installed layout and `sigil --version` against auth_server.__version__
#   4. packaging/smoke_run.py: starts /usr/bin/sigil on its own Xvfb, in a private D-Bus
#      session with gnome-keyring, until GET /api/status answers; prints the start-up time
#   5. apt-get remove sigil, and checks that nothing of it is left in /opt and /usr
#
# Prints the package size and the start-up time. A lock file keeps two runs (two people's
# `make test` on one machine) from installing over each other. It refuses to run when a
# `sigil` package was installed before it started, so it never removes someone's install.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD=1
[ "${1:-}" = "--no-build" ] && BUILD=0

[ "$(id -u)" = 0 ] || { echo "ci_check: installing a .deb needs root" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)

exec 9>/tmp/sigil-package-check.lock
flock 9

if dpkg-query -W -f='${Status}' sigil 2>/dev/null | grep -q "ok installed"; then
  echo "ci_check: a sigil package is already installed here; remove it first (apt-get remove sigil)" >&2
  exit 2
fi

t0=$(date +%s)
if [ "$BUILD" = 1 ]; then
  make package
fi
t_build=$(date +%s)
DEB="$(ls -t dist/sigil_*.deb | head -n 1)"
VERSION="$(python3 -c 'import auth_server; print(auth_server.__version__)')"
echo "package: $DEB ($(stat -c %s "$DEB") bytes, $(du -h "$DEB" | cut -f1))"

installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    "${APT[@]}" remove --purge sigil >/dev/null 2>&1 || dpkg --purge sigil >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

echo "== installing $DEB"
installed=1
if ! "${APT[@]}" install --no-install-recommends "./$DEB" > /tmp/sigil-apt-install.log 2>&1; then
  # No package lists or no network: install what dpkg can, and say what is missing.
  cat /tmp/sigil-apt-install.log >&2
  dpkg -i "$DEB" || { "${APT[@]}" -f install --no-install-recommends; }
fi
t_installed=$(date +%s)

echo "== checking the installed layout"
test "$(readlink -f /usr/bin/sigil)" = /opt/sigil/sigil
test -x /opt/sigil/sigil
test -f /usr/share/applications/sigil.desktop
for size in 16x16 32x32 48x48 128x128 256x256 512x512; do
  test -f "/usr/share/icons/hicolor/$size/apps/sigil.png"
done
test -f /usr/share/icons/hicolor/scalable/apps/sigil.svg
test -f /opt/sigil/_internal/resources/sigil.qss
got="$(cd / && sigil --version)"
echo "sigil --version: $got"
[ "$got" = "sigil $VERSION" ] || { echo "ci_check: expected 'sigil $VERSION'" >&2; exit 1; }
dpkg-query -W -f='dpkg version: ${Version}\n' sigil

echo "== starting the installed app under Xvfb"
(cd / && python3 "$ROOT/packaging/smoke_run.py" --exe /usr/bin/sigil --expect-version "$VERSION" \
   ${SIGIL_SMOKE_SCREENSHOT:+--screenshot "$SIGIL_SMOKE_SCREENSHOT"})
t_ran=$(date +%s)

echo "== removing the package"
"${APT[@]}" remove --purge sigil >/dev/null
installed=0
for path in /opt/sigil /usr/bin/sigil /usr/share/applications/sigil.desktop \
            /usr/share/icons/hicolor/48x48/apps/sigil.png; do
  if [ -e "$path" ] || [ -L "$path" ]; then echo "ci_check: $path is left after removal" >&2; exit 1; fi
done
t_removed=$(date +%s)

echo "package check passed: build $((t_build - t0)) s, install $((t_installed - t_build)) s," \
     "run $((t_ran - t_installed)) s, remove $((t_removed - t_ran)) s"
