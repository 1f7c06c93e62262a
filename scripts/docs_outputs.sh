#!/usr/bin/env bash
# Reruns every script whose output the docs show about the default model, for when that model
# (or anything else that moves its numbers) changes. Each script's output lands in results/docs/
# (the paper scripts' in results/paper/, their figures in results/); the figures of the inspect
# page go straight to docs/figures/, the outputs the tested pages show (README, tutorial, formats)
# are rewritten in place by the documentation test, and the notebook is re-executed. The prose
# that cites these numbers (models/default.md, docs/results.md, docs/discovery.md, docs/inspect.md,
# the README and the tutorial) is then edited by hand from results/docs/. Takes about two hours on
# two cores, most of it the discovery-quality table's 20 cs runs, whose circuits stay in
# $CIRC_CACHE: set it to a lasting folder to make a rerun fast.
#   scripts/docs_outputs.sh [STEP …]     steps: card paper inspect quality examples notebook bench (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
circ=${CIRC:-.build/release/circ}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export CIRC_CACHE=${CIRC_CACHE:-$(mktemp -d)}
out=results/docs
mkdir -p "$out"
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(card paper inspect quality examples notebook bench)

# Runs one named step with a line of its wall time on standard error.
run() {
  local name=$1; shift
  echo "== $name" >&2
  local start=$(date +%s)
  "$@"
  echo "   $name: $(( $(date +%s) - start )) s" >&2
}

for step in "${steps[@]}"; do
  case $step in
    card) run "models/default.md: accuracy table" sh -c "$circ examples/evaluate_model.circ > $out/evaluate_model.txt" ;;
    paper) run "docs/results.md: the paper scripts" sh -c "scripts/paper_results.sh > $out/paper_wall_times.md" ;;
    inspect) run "docs/inspect.md: examples/inspect_swap.circ" sh -c "$circ examples/inspect_swap.circ docs/figures > $out/inspect_swap.txt" ;;
    quality) run "docs/discovery.md: the quality table" sh -c "$circ benchmarks/discovery_quality.circ default auto attribution > $out/discovery_quality.txt" ;;
    examples) run "tested pages: outputs rewritten" env CIRC_UPDATE_DOCS=1 swift test -c release -Xswiftc -enable-testing --filter DocumentationExamples ;;
    notebook) run "docs/tutorial.ipynb" make notebook ;;
    bench) run "docs/benchmarks.md" make bench-doc ;;
    *) echo "unknown step: $step (card paper inspect quality examples notebook bench)" >&2; exit 2 ;;
  esac
done
echo "outputs in $out/; circuit cache $CIRC_CACHE" >&2
