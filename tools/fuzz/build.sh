#!/usr/bin/env bash
# Builds one libFuzzer binary per parser into .build-fuzz/fuzzers/: the package's library targets are
# compiled with coverage instrumentation and AddressSanitizer (`swift build --sanitize=fuzzer
# --sanitize=address`, scratch path .build-fuzz), then each tools/fuzz/targets/<name>.swift (one
# LLVMFuzzerTestOneInput) is linked against their object files with `swiftc -sanitize=fuzzer,address`.
# Seed corpora come from the committed fixtures (tools/fuzz/corpus.sh). Run them with tools/fuzz/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
SCRATCH=.build-fuzz
for target in Tasks TorchFiles; do
  "$SWIFT" build --sanitize=fuzzer --sanitize=address \
    --scratch-path "$SCRATCH" --target "$target" 2>&1 \
    | grep -E "error|Build of" || true
done
BIN="$SCRATCH/debug"
OBJECTS=()
for module in Tensors NN Optim Training Yams CrossModal Encoders Imaging OwnData Tasks TorchFiles ZIPFoundation; do
  OBJECTS+=("$BIN/$module.build"/*.o)
done
while IFS= read -r -d '' o; do OBJECTS+=("$o"); done < <(find "$BIN/CYaml.build" -name '*.o' -print0)
mkdir -p "$SCRATCH/fuzzers"
for source in tools/fuzz/targets/*.swift; do
  name=$(basename "$source" .swift)
  swiftc -sanitize=fuzzer,address -parse-as-library -g -enable-testing \
    -I "$BIN/Modules" -I Sources/CBLAS -I Sources/CPNG -I Sources/CTurboJPEG -I "$SCRATCH/checkouts/Yams/Sources/CYaml/include" -I "$SCRATCH/checkouts/ZIPFoundation/Sources/CZLib" \
    "$source" "${OBJECTS[@]}" -lopenblas -lpng16 -lturbojpeg -o "$SCRATCH/fuzzers/$name" 2>&1 \
    | grep -v "Cannot export local symbol" || true
  test -x "$SCRATCH/fuzzers/$name" || { echo "fuzz/build.sh: $name did not link" >&2; exit 1; }
  echo "built $SCRATCH/fuzzers/$name"
done
