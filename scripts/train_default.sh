#!/usr/bin/env bash
# Starts, or resumes, the default model's training in the background (examples/train_default.circ).
# The run lives outside the work tree, in $CIRC_TRAIN_DIR (default ~/.cache/circ/train-default):
# default.safetensors after each epoch, default.safetensors.checkpoint every five minutes, and
# train.log. Run it again after a stop (a reboot, the end of a work period): it goes on from the
# checkpoint bit for bit. `scripts/train_default.sh status` shows where the run is.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CIRC_TRAIN_DIR:-$HOME/.cache/circ/train-default}
mkdir -p "$dir"
running() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }
if [ "${1:-}" = status ]; then
  if running; then echo "running (pid $(cat "$dir/pid"))"; else echo "not running"; fi
  tail -c 2000 "$dir/train.log" 2>/dev/null | tr '\r' '\n' | tail -n 4
  exit 0
fi
if running; then echo "already running (pid $(cat "$dir/pid")); log: $dir/train.log"; exit 0; fi
make build >/dev/null
# A copy of the binary, so that rebuilding the work tree does not touch the running one.
cp .build/release/circ "$dir/circ"
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
echo "=== $(date -u +%FT%TZ) start at $(git rev-parse --short HEAD)" >> "$dir/train.log"
setsid nohup "$dir/circ" examples/train_default.circ "$dir/default.safetensors" >> "$dir/train.log" 2>&1 < /dev/null &
echo $! > "$dir/pid"
# Its own scheduling group (setsid) weighted above the others, so that builds beside it take what it leaves.
sleep 1; echo -5 > "/proc/$(cat "$dir/pid")/autogroup" 2>/dev/null || true
echo "training in the background (pid $!); log: $dir/train.log"
