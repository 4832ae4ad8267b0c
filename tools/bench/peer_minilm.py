"""PyTorch peer of `crossmodal bench minilm`: sentence-transformers all-MiniLM-L6-v2 on the same sentences.

Usage: python3 tools/bench/peer_minilm.py SENTENCES.json MODEL_DIR THREADS BATCH WARMUPS RUNS
Prints one JSON line: {"median_ms": ..., "samples_ms": [...], "torch": ..., "threads": ...}.
Needs `pip install sentence-transformers`; the model is loaded offline from MODEL_DIR.
"""
import json
import os
import statistics
import sys
import time

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    path, model_dir, threads, batch, warmups, runs = sys.argv[1:7]
    torch.set_num_threads(int(threads))
    sentences = json.load(open(path, encoding="utf-8"))
    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()

    def once():
        with torch.inference_mode():
            model.encode(sentences, batch_size=int(batch), normalize_embeddings=False, show_progress_bar=False)

    for _ in range(int(warmups)):
        once()
    samples = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        once()
        samples.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"median_ms": statistics.median(samples), "samples_ms": samples, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
