#!/usr/bin/env bash
# Screenshots of a report as a reviewer sees it: the HTML in headless Chromium, the DOCX's first pages
# through LibreOffice (PDF) and pdftoppm (PNG), of every .docx in the directory (report, ledger, analysis, yearly).
# Usage: [PAGES=3] scripts/report-screenshots.sh REPORT_DIR [OUT_DIR]
# Installs chromium, libreoffice-writer-nogui and poppler-utils on first use (not needed by tests or CI).
set -euo pipefail
dir=$(cd "$1" && pwd); out=${2:-$dir/screens}; mkdir -p "$out"
need=(); command -v chromium >/dev/null || need+=(chromium); command -v libreoffice >/dev/null || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; fi
pages=${PAGES:-3}
if [ -f "$dir/report.html" ]; then profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --window-size=900,2600 \
    --screenshot="$out/report-html.png" "file://$dir/report.html" 2>/dev/null
  rm -rf "$profile"; fi
for doc in "$dir"/*.docx; do name=$(basename "$doc" .docx)   # report, ledger, analysis or yearly
  libreoffice --headless --convert-to pdf --outdir "$out" "$doc" >/dev/null 2>&1
  pdftoppm -png -r 60 -f 1 -l "$pages" "$out/$name.pdf" "$out/$name-docx"; done
ls "$out"
