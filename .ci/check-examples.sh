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
gen() {  # out spec...
  local out=$1; shift
  echo "-- $* -> $out"
  python -m asyncgen generate "$@" -o "$out" "${mode[@]}" || status=$?
  examples+=("$out")
}
# The evented-API scenario: ERP events (AsyncAPI) + its REST API with webhook callbacks (OpenAPI).
gen generated_examples/erp specs/erp-events.asyncapi.yaml specs/erp-api.openapi.yaml
for spec in specs/*.asyncapi.yaml; do
  [[ $spec == specs/erp-events.asyncapi.yaml ]] && continue
  name=$(basename "$spec"); name=${name%%.*}
  gen "generated_examples/$name" "$spec"
done
if [[ ${1:-} != --write && $status == 0 ]]; then
  for dir in "${examples[@]}"; do
    echo "-- tests of $dir"
    (cd "$dir" && python -m pytest -q -p no:cacheprovider) || status=$?
  done
fi
exit $status
