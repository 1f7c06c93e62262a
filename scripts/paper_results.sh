#!/usr/bin/env bash
# Runs the paper's five scripts (examples/paper/01–05), 04 once more with means computed on the
# composite's data, and examples/new_function.circ, in that order, from one fresh circuit cache
# (01 fills it, the rest reuse it). Each script's stdout goes to results/paper/<script>.txt (its
# tables, matrices and figures also land in results/, as the scripts write them); at the end a
# Markdown table of wall times, with the date, commit and CPU. docs/results.md shows these outputs
# and this table; docs/figures/ holds copies of the SVG and CSV files.
#   scripts/paper_results.sh              (CIRC=path/to/circ to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
circ=${CIRC:-.build/release/circ}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export CIRC_CACHE=$(mktemp -d)
echo "circuit cache: $CIRC_CACHE (kept: rerun a script with it to skip discovery)" >&2
mkdir -p results/paper

runs=("01_circuits" "02_overlap" "03_cross_task" "04_compositions" "05_seeds" "04_compositions default data" "new_function")
rows=()
total=0
for run in "${runs[@]}"; do
  set -- $run
  name=$1; shift
  script=examples/paper/$name.circ; [ "$name" = new_function ] && script=examples/$name.circ
  out=results/paper/$name${1:+_$(IFS=_; echo "$*")}.txt
  echo "== circ $script $*  > $out" >&2
  start=$(date +%s.%N)
  "$circ" "$script" "$@" > "$out"
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  total=$(echo "$total + $secs" | bc)
  rows+=("| \`circ $script${*:+ $*}\` | $(printf %.0f "$secs") s |")
done

echo
echo "Wall times, $(date -u +%F), commit $(git rev-parse --short HEAD), $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores), one fresh CIRC_CACHE:"
echo
echo "| command | wall time |"
echo "|---|---|"
printf '%s\n' "${rows[@]}"
echo "| all seven | $(printf %.0f "$total") s |"
