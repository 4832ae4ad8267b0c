"""PyTorch peer of `crossmodal bench minilm`: sentence-transformers all-MiniLM-L6-v2 on the same sentences.

Usage: python3 tools/bench/peer_minilm.py SENTENCES.json MODEL_DIR THREADS BATCH
Loads the model (offline, from MODEL_DIR), prints "ready", then for every line "run" on stdin encodes all
sentences once and prints one JSON line {"ms": ...}; "info" prints the torch version and thread count.
The Swift side alternates its own runs with these, so both see the same machine load.
Needs `pip install sentence-transformers`.
"""
import json
import os
import sys
import time

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    path, model_dir, threads, batch = sys.argv[1:5]
    torch.set_num_threads(int(threads))
    sentences = json.load(open(path, encoding="utf-8"))
    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "run":
            start = time.perf_counter()
            with torch.inference_mode():
                model.encode(sentences, batch_size=int(batch), normalize_embeddings=False, show_progress_bar=False)
            print(json.dumps({"ms": (time.perf_counter() - start) * 1e3}), flush=True)
        elif command == "info":
            print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
        else:
            break


if __name__ == "__main__":
    main()
