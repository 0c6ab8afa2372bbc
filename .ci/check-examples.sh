#!/usr/bin/env bash
# generated_examples/ holds what asyncgen generates for every bundled spec in specs/.
#   bash .ci/check-examples.sh          # CI: regenerate in memory, exit 1 on drift, then run
#                                       #     each generated project's own tests
#   bash .ci/check-examples.sh --write  # after a template change: regenerate them for real
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--check)
[[ ${1:-} == --write ]] && mode=()
status=0
examples=()
for spec in specs/*.asyncapi.yaml; do
  name=$(basename "$spec"); name=${name%%.*}
  echo "-- $spec -> generated_examples/$name"
  python -m asyncgen generate "$spec" -o "generated_examples/$name" "${mode[@]}" || status=$?
  examples+=("generated_examples/$name")
done
if [[ ${1:-} != --write && $status == 0 ]]; then
  for dir in "${examples[@]}"; do
    echo "-- tests of $dir"
    (cd "$dir" && python -m pytest -q -p no:cacheprovider) || status=$?
  done
fi
exit $status
