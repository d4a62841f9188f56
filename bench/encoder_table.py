#!/usr/bin/env python3
"""The encoder benchmark table for docs/PERFORMANCE.md, from `tessera bench-encoder` JSON lines.

    python3 bench/encoder_table.py --tessera build/tessera --models models/tiny.en,models/base \
        --compute-types fp32,int8 --threads 1,2 --batch 1,8 [--runs 5] [--json out.jsonl]

Runs every configuration through bench-encoder (median of --runs after a warm-up, on the first
window of data/audio/jfk.wav) and prints one markdown row per configuration with the per-stage
breakdown. Configurations are interleaved (all models and types for one thread count and batch,
then the next) so slow phases of a shared machine spread over all of them; --rounds repeats the
sweep and keeps each configuration's median.
"""
import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGES = ("conv_stem", "qkv", "attention", "out_proj", "mlp", "layer_norm", "other")


def run(binary, model, ct, threads, batch, runs, audio):
    cmd = [binary, "bench-encoder", "-m", model, "-f", audio, "--compute-type", ct, "--threads",
           str(threads), "--batch", str(batch), "--runs", str(runs), "--warmup", "1"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--models", default="models/tiny.en,models/base")
    ap.add_argument("--compute-types", default="fp32,int8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--audio", default=os.path.join(ROOT, "data", "audio", "jfk.wav"))
    ap.add_argument("--json", help="append every JSON line here")
    a = ap.parse_args()

    configs = list(itertools.product(a.threads.split(","), a.batch.split(","), a.models.split(","),
                                     a.compute_types.split(",")))
    results = {}
    for _ in range(a.rounds):
        for threads, batch, model, ct in configs:
            j = run(a.tessera, os.path.join(ROOT, model) if not os.path.isabs(model) else model, ct,
                    int(threads), int(batch), a.runs, a.audio)
            results.setdefault((model, ct, threads, batch), []).append(j)
            if a.json:
                with open(a.json, "a") as f:
                    f.write(json.dumps(j) + "\n")
            print(f"# {j['model']} {j['compute_type']} threads={threads} batch={batch}: "
                  f"{j['ms_per_window']:.1f} ms", file=sys.stderr)

    first = next(iter(results.values()))[0]
    print(f"CPU: {first['cpu']} ({first['cpu_features']}); peak probe per configuration below.\n")
    print("| model | type | threads | batch | ms/window (median) | min-max | x realtime | GOP/s | "
          "% of peak | " + " | ".join(STAGES) + " | peak RSS MB |")
    print("|" + "---|" * (10 + len(STAGES)))
    for (model, ct, threads, batch), js in sorted(results.items(),
                                                  key=lambda kv: (kv[0][0], kv[0][1], int(kv[0][2]),
                                                                  int(kv[0][3]))):
        j = sorted(js, key=lambda x: x["ms_per_window"])[len(js) // 2]
        st = j["stages_ms_per_window"]
        print(f"| {j['model']} | {j['compute_type']} | {threads} | {batch} | {j['ms_per_window']:.0f} | "
              f"{j['ms_min']:.0f}-{j['ms_max']:.0f} | {j['realtime_factor']:.0f} | "
              f"{j['achieved_gops']:.0f} | {100 * j['peak_fraction']:.0f}% of {j['peak_gops']:.0f} | " +
              " | ".join(f"{st.get(s, 0):.0f}" for s in STAGES) + f" | {j['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    sys.exit(main())
