#!/usr/bin/env bash
# No false alarm on a busy machine: the whole estate lab up, two CPU-bound loops at nice 0 beside it, default
# timeouts and concurrency, ten whole-estate daily inspections in a row; each run's counts are printed.
# A healthy lab must give 0 `error` and 0 `fail` in every run (exit 1 otherwise).
#
#   bash bench/busy_lab.sh [RUNS]        (default 10; run from the repository root after scripts/setup.sh)
#
# It uses the estate inventory, the default lab state directory (.cityops/lab) and a scratch reports directory,
# and stops the loops and the lab it started whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
PY=.venv/bin/python
INVOKE=.venv/bin/invoke
REPORTS=$(mktemp -d /tmp/cityops-busy-XXXXXX)
loops=()
started_lab=0

cleanup() {
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null; done
  if [[ $started_lab -eq 1 ]]; then $INVOKE lab.down >/dev/null 2>&1; fi
}
trap cleanup EXIT

if ! $PY -c 'import sys; from cityops.lab import supervisor; from cityops.lab.statedir import LabDir; sys.exit(0 if supervisor.running(LabDir()) else 1)'; then
  $INVOKE lab.up || exit 3
  started_lab=1
fi
for _ in 1 2; do
  nice -n 0 "$PY" -c 'while True: pass' &
  loops+=($!)
done
echo "busy_lab: $(nproc) cores, 2 CPU-bound loops at nice 0 (pids ${loops[*]}), $RUNS daily runs, reports in $REPORTS"

bad=0
for i in $(seq 1 "$RUNS"); do
  t0=$(date +%s%3N)
  $INVOKE inspect --cadence daily --reports "$REPORTS" >/dev/null 2>"$REPORTS/run-$i.err"
  status=$?
  t1=$(date +%s%3N)
  run_dir=$(ls -d "$REPORTS"/runs/*/ | sort | tail -n 1)
  line=$("$PY" - "$run_dir" <<'EOF'
import json, sys, collections
from pathlib import Path
run = Path(sys.argv[1])
m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
c = m.get("counts", {})
causes = collections.Counter()
for line in (run / "results.jsonl").open(encoding="utf-8"):
    r = json.loads(line)
    if r["status"] in ("error", "fail"):
        causes[f'{r["status"]}:{r["check_id"]}:{r.get("cause") or ""}'] += 1
top = ", ".join(f"{k} x{v}" for k, v in causes.most_common(6))
print(f'{m["run_id"]} {m["status"]} results={m.get("results")} pass={c.get("pass", 0)} warn={c.get("warn", 0)} '
      f'fail={c.get("fail", 0)} error={c.get("error", 0)} waived={c.get("waived", 0)}' + (f"  [{top}]" if top else ""))
EOF
)
  ms=$((t1 - t0))
  printf 'run %2d: exit %d in %d.%01d s  %s\n' "$i" "$status" $((ms / 1000)) $((ms % 1000 / 100)) "$line"
  case "$line" in *" fail=0 error=0 "*) ;; *) bad=$((bad + 1)) ;; esac
done
echo "busy_lab: $bad of $RUNS runs had an error or a fail"
[[ $bad -eq 0 ]]
