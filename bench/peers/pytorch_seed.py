"""PyTorch eager peer of `crossmodal bench seed`: the same seed model (the fixture's `SeedModel`, imported, not
copied), the same weights and inputs (read from the safetensors file the Swift benchmark writes), the same
thread count. Stays alive so that its repetitions alternate with Swift's: prints "ready" once loaded, then
answers each line on stdin with one JSON line —
  info        {"torch", "threads", "eval_logits"} (eval-mode logits of the loaded weights)
  train       {"ms"} of one training step (forward, cross-entropy, backward, clip_grad_norm_(1.0), AdamW step)
  infer       {"ms"} of one eval-mode forward pass
  reset_peak  {"rss_kib", "peak_reset"}: the resident set now, and the peak reset to it (Linux >= 4.0)
  peak        {"peak_rss_kib"}: the peak resident set since the reset
and exits at the end of its input."""
import argparse
import json
import os
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
from fx_crossmodal import SeedModel  # noqa: E402  (the one definition of the seed model)


def read_safetensors(path):
    """F32 safetensors → {name: tensor} (no dependency beyond torch)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: dtype {info['dtype']}, expected F32"
        lo, hi = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[lo:hi]), dtype=torch.float32).reshape(info["shape"])
    return out


def vm_hwm_kib():
    """Peak resident set size of this process (VmHWM, KiB)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def vm_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def reset_peak():
    """Resets VmHWM to the current RSS (Linux ≥ 4.0); returns False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True, help="safetensors with param.<key>, visual, text, text_lengths, labels")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--classes", type=int, default=10)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    t = read_safetensors(args.input)
    visual, text = t["visual"], t["text"]
    lengths = t["text_lengths"].long()
    labels = t["labels"].long()
    text_mask = torch.arange(text.shape[1])[None, :] >= lengths[:, None]
    model = SeedModel(visual.shape[2], text.shape[2], args.width, args.classes)
    model.load_state_dict({k[len("param."):]: v for k, v in t.items() if k.startswith("param.")}, strict=True)

    model.eval()
    with torch.no_grad():
        logits = model(visual, text, text_mask)

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(visual, text, text_mask), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    commands = {
        "info": lambda: {"torch": torch.__version__, "threads": torch.get_num_threads(), "eval_logits": logits.flatten().tolist()},
        "train": lambda: timed(train_step, training=True),
        "infer": lambda: timed(infer, training=False),
        "reset_peak": lambda: {"rss_kib": vm_rss_kib(), "peak_reset": reset_peak()},
        "peak": lambda: {"peak_rss_kib": vm_hwm_kib()},
    }

    def infer():
        with torch.no_grad():
            model(visual, text, text_mask)

    def timed(fn, training):
        model.train(training)
        t0 = time.perf_counter()
        fn()
        return {"ms": (time.perf_counter() - t0) * 1e3}

    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command not in commands:
            print(json.dumps({"error": f"unknown command {command!r}; known: {sorted(commands)}"}), flush=True)
            continue
        print(json.dumps(commands[command]()), flush=True)


if __name__ == "__main__":
    main()
