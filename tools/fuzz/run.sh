#!/usr/bin/env bash
# Runs every fuzzer built by tools/fuzz/build.sh for RUNS iterations each (default 100000; a second argument
# or FUZZ_TARGETS limits the targets), seeded from the committed fixtures, and prints one line per target.
# The growing corpus stays in .build-fuzz/corpus/<target>; a crash, leak, timeout or out-of-memory input is
# written to .build-fuzz/findings/<target>/ and fails the run.
set -uo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-100000}
TARGETS=${2:-${FUZZ_TARGETS:-safetensors torch png config manifest}}
FUZZERS=.build-fuzz/fuzzers
declare -A SEEDS=(
  [safetensors]="Tests/TensorsTests/Fixtures Tests/TorchFilesTests/Fixtures/state_expected.safetensors"
  [torch]="Tests/TorchFilesTests/Fixtures"
  [png]="Tests/ImagingTests/Fixtures"
  [config]="tools/fuzz/seeds/config"
  [manifest]="tools/fuzz/seeds/manifest"
)
declare -A PATTERN=([safetensors]='*.safetensors' [torch]='*.pt' [png]='*.png' [config]='*' [manifest]='*')
# Traps go to libFuzzer/ASan (not Swift's backtracer, which races ASan); dependency leaks are suppressed.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS=suppressions=$PWD/tools/fuzz/lsan.supp:print_suppressions=0
status=0
for target in $TARGETS; do
  corpus=.build-fuzz/corpus/$target findings=.build-fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  for seed in ${SEEDS[$target]}; do
    if [ -d "$seed" ]; then find "$seed" -maxdepth 1 -type f -name "${PATTERN[$target]}" -size -64k -exec cp {} "$corpus/" \;
    else cp "$seed" "$corpus/"; fi
  done
  log=.build-fuzz/$target.log
  "$FUZZERS/$target" -runs="$RUNS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*')
  if [ $rc -eq 0 ]; then
    echo "fuzz $target: ${runs:-?} runs in ${secs:-?}s, $cov, corpus $(ls "$corpus" | wc -l) inputs, no findings"
  else
    status=1
    echo "fuzz $target: FAILED after ${runs:-?} runs (exit $rc): $(ls "$findings" | tr '\n' ' ') — see $log"
    grep -m3 -E "ERROR|Fatal error|fatalError|==[0-9]+==" "$log" | sed 's/^/    /'
  fi
done
exit $status
