#!/usr/bin/env bash
# Regenerate every bundled example in memory and fail (exit 1) on any drift.
# With --write, regenerate generated_examples/ instead (after a template change).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--check)
[[ ${1:-} == --write ]] && mode=()
status=0
for spec in specs/*.asyncapi.yaml specs/*.openapi.yaml; do
  [[ -e $spec ]] || continue
  name=$(basename "$spec"); name=${name%%.*}
  echo "-- $spec -> generated_examples/$name"
  asyncgen generate "$spec" -o "generated_examples/$name" "${mode[@]}" || status=$?
done
exit $status
