#!/usr/bin/env bash
# Renders the committed PNGs (and the Windows .ico) from the SVG sources in icons/.
# Run it after editing an SVG: needs rsvg-convert (Debian: librsvg2-bin) and, for the
# .ico, ImageMagick's convert. The PNGs are committed so builds need neither.
set -euo pipefail
cd "$(dirname "$0")/icons"

for size in 16 24 32; do          # small sizes use the simplified drawing
  mkdir -p "hicolor/${size}x${size}/apps"
  rsvg-convert -w "$size" -h "$size" sigil-small.svg -o "hicolor/${size}x${size}/apps/sigil.png"
done
for size in 48 64 128 256 512; do
  mkdir -p "hicolor/${size}x${size}/apps"
  rsvg-convert -w "$size" -h "$size" sigil.svg -o "hicolor/${size}x${size}/apps/sigil.png"
done
mkdir -p hicolor/scalable/apps
cp sigil.svg hicolor/scalable/apps/sigil.svg

for name in sigil-tray sigil-tray-pending; do   # 16 px, plus 32/48 for HiDPI panels
  for size in 16 32 48; do
    rsvg-convert -w "$size" -h "$size" "$name.svg" -o "$name-$size.png"
  done
done

if command -v convert >/dev/null && convert -version 2>/dev/null | grep -q ImageMagick; then
  convert hicolor/16x16/apps/sigil.png hicolor/24x24/apps/sigil.png hicolor/32x32/apps/sigil.png \
          hicolor/48x48/apps/sigil.png hicolor/64x64/apps/sigil.png hicolor/256x256/apps/sigil.png \
          sigil.ico
fi
echo "rendered into $(pwd)"
