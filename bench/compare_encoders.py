#!/usr/bin/env python3
"""Encoder speed side by side, in one run, on the same window and weights: tessera vs CTranslate2.

    .venv-bench/bin/python bench/compare_encoders.py -m models/base --threads 2 --batch 1

Needs `pip install ctranslate2` (scripts/bench-setup makes .venv-bench). Rounds alternate between the
engines (ABAB...) so machine noise hits both alike; medians are reported, and the ratios.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tessera_run(binary, model, audio, ct, threads, batch, runs):
    cmd = [binary, "bench-encoder", "-m", model, "-f", audio, "--compute-type", ct,
           "--threads", str(threads), "--batch", str(batch), "--runs", str(runs), "--warmup", "1"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def ct2_times(model, mel, ct, threads, batch, runs):
    import ctranslate2
    m = ctranslate2.models.Whisper(model, device="cpu", compute_type=ct, inter_threads=1,
                                   intra_threads=threads)
    feats = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(mel[None], batch, 0)))
    m.encode(feats, to_cpu=True)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        m.encode(feats, to_cpu=True)
        times.append((time.perf_counter() - t0) * 1000 / batch)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", default=os.path.join(ROOT, "models/base"))
    ap.add_argument("-f", "--file", default=os.path.join(ROOT, "data/audio/jfk.wav"))
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build/tessera"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--tessera-types", default="fp32")
    ap.add_argument("--ct2-types", default="int8,float32")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        mel_path = os.path.join(tmp, "mel.npy")
        subprocess.run([args.tessera, "mel", "-f", args.file, "--dump-npy", mel_path], check=True,
                       capture_output=True)
        mel = np.load(mel_path).astype(np.float32)

    results = {}
    for _ in range(args.rounds):
        for ct in args.tessera_types.split(","):
            j = tessera_run(args.tessera, args.model, args.file, ct, args.threads, args.batch, args.runs)
            results.setdefault(("tessera", ct), []).append(j["ms_per_window"])
        for ct in args.ct2_types.split(","):
            t = ct2_times(args.model, mel, ct, args.threads, args.batch, args.runs)
            results.setdefault(("ctranslate2", ct), []).append(statistics.median(t))

    med = {k: statistics.median(v) for k, v in results.items()}
    cpu = subprocess.run(["sh", "-c", "lscpu | grep 'Model name' | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    print(f"# {os.path.basename(args.model)}, {args.threads} threads, batch {args.batch}, CPU: {cpu}")
    print(f"{'engine':12} {'type':8} {'ms/window':>10} {'x realtime':>10}")
    for (eng, ct), ms in sorted(med.items()):
        print(f"{eng:12} {ct:8} {ms:10.1f} {30000 / ms:10.1f}")
    best_t = min((v, k) for k, v in med.items() if k[0] == "tessera")
    best_c = min((v, k) for k, v in med.items() if k[0] == "ctranslate2")
    print(f"speed-up, best tessera ({best_t[1][1]}) over best CTranslate2 ({best_c[1][1]}): "
          f"{best_c[0] / best_t[0]:.2f}x")
    for (eng, ct), ms in sorted(med.items()):
        if eng == "tessera":
            for (e2, c2), ms2 in sorted(med.items()):
                if e2 == "ctranslate2":
                    print(f"  tessera {ct} vs ctranslate2 {c2}: {ms2 / ms:.2f}x")
    print(json.dumps({f"{e}/{c}": round(v, 2) for (e, c), v in med.items()}))


if __name__ == "__main__":
    sys.exit(main())
