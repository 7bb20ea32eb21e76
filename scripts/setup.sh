#!/usr/bin/env bash
# Install everything cityops needs on a fresh Debian machine, as root:
#   1. the Debian packages in scripts/apt-packages.txt, without starting any service
#      (a policy-rc.d that forbids service starts is in place during the install);
#   2. a virtualenv in .venv with cityops and its Python dependencies (pyproject.toml).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# -- Debian packages -----------------------------------------------------------
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/apt-packages.txt)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages (${missing[*]}); run as root or install them first"; exit 1
  fi
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# cityops setup: no service starts during package installation\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[[ $created_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d' EXIT
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- Python 3.11 and the virtualenv ----------------------------------------------
pick_python() {
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}
PY=$(pick_python) || { log "cityops needs Python 3.11 (ansible-core 2.19 series); none found"; exit 1; }

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  log "creating .venv with $PY"
  rm -rf .venv
  "$PY" -m venv .venv
fi
stamp=.venv/.cityops-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp ]] || [[ $(cat "$stamp") != "$want" ]]; then
  log "pip install -e .[dev] (this takes a few minutes the first time; log in .venv/pip-install.log)"
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --disable-pip-version-check -e '.[dev]'; } > .venv/pip-install.log 2>&1; then
    tail -n 40 .venv/pip-install.log >&2
    log "pip install failed (full log: .venv/pip-install.log)"; exit 1
  fi
  echo "$want" > "$stamp"
fi
log "ready: .venv/bin/invoke --list"
