#!/usr/bin/env python3
"""End-to-end transcription speed, tessera vs faster-whisper, in the same run on the same weights.

    .venv-bench/bin/python bench/compare_transcribe.py -m models/base --threads 2
    .venv-bench/bin/python bench/compare_transcribe.py -m models/tiny.en --compute-type int8 \
        --decoding greedy --mode batched --inputs gb0

For every combination of compute type (int8, fp32), decoding (greedy, beam 5), mode (sequential,
batched) and input (gb0.wav; all English clips together), runs tessera (`tessera transcribe`, one
process over the input's files) and faster-whisper (WhisperModel / BatchedInferencePipeline) with the
same options: language en, temperature 0 only (no fallback), best_of 5, condition on previous text,
timestamps on, threads N (faster-whisper: cpu_threads=N, num_workers=1). faster-whisper gets the same
16 kHz samples as numpy; its batched mode gets fixed 30 s windows via clip_timestamps (no VAD), so both
engines decode the whole audio. Engines alternate within each configuration (ABAB over --rounds) so
machine noise hits both alike; the median is reported. Times exclude model loading (printed apart).

tessera's time split (audio decoding, mel, encoder, decoder, rest) comes from its summary lines.
Needs faster-whisper (scripts/bench-setup makes .venv-bench). Keep --rounds small on a shared machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wer  # noqa: E402  (clip list, tessera runner pieces; stdlib only at import)

FW_COMPUTE = {"fp32": "float32", "int8": "int8", "bf16": "bfloat16"}
SPLIT_KEYS = ("audio_decode_s", "mel_s", "encoder_s", "decoder_s", "other_s")


def cpu_name() -> str:
    """/proc/cpuinfo's model name with family/model (AMD family 25 model 1 is Zen 3 Milan)."""
    fields = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown CPU"
    flags = set(fields.get("flags", "").split())
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    return (f"{fields.get('model name', 'unknown CPU')} (family {fields.get('cpu family', '?')} "
            f"model {fields.get('model', '?')}, {isa}, {os.cpu_count()} logical CPUs)")


def inputs_of(names: list) -> dict:
    """{"gb0": [clip], "en-clips": [clips...]} of 16 kHz WAVs under data/audio."""
    out = {}
    for name in names:
        if name == "gb0":
            out[name] = [c for c in wer.load_clips("longform") if c["id"] == "gb0"]
        elif name == "en-clips":
            out[name] = wer.load_clips("en")
        else:
            raise SystemExit(f"--inputs: unknown input {name!r} (gb0, en-clips)")
        if not out[name]:
            raise SystemExit(f"no audio for input {name}")
    return out


def tessera_once(binary, model, clips, ct, opts) -> dict:
    """One tessera process over the clips: summed per-file times (model load excluded)."""
    with tempfile.TemporaryDirectory(prefix="tessera-speed-") as out:
        cmd = wer.tessera_command(binary, model, [c["path"] for c in clips], "en", ct, opts, out)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        process_s = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"tessera failed: {proc.stderr.strip()[-800:]}")
        per_file, load_s = wer.parse_summaries(proc.stderr)
        texts = {}
        for c in clips:
            texts[c["id"]] = json.load(open(os.path.join(out, c["id"] + ".json"), encoding="utf-8"))["text"]
    missing = [c["path"] for c in clips if c["path"] not in per_file]
    if missing:
        raise RuntimeError(f"no tessera summary line for {missing[:2]}: {proc.stderr.strip()[-400:]}")
    rows = [per_file[c["path"]] for c in clips]
    res = {k: sum(r[k] for r in rows) for k in ("wall_s",) + SPLIT_KEYS}
    res.update(load_s=load_s, process_s=process_s, windows=sum(r["windows"] for r in rows),
               fallbacks=sum(r["fallbacks"] for r in rows), texts=texts)
    return res


class FasterWhisper:
    def __init__(self, model_dir: str, ct: str, threads: int):
        from faster_whisper import BatchedInferencePipeline, WhisperModel
        t0 = time.perf_counter()
        self.model = WhisperModel(model_dir, device="cpu", compute_type=FW_COMPUTE.get(ct, ct),
                                  cpu_threads=threads, num_workers=1)
        self.pipe = BatchedInferencePipeline(self.model)
        self.load_s = time.perf_counter() - t0

    def once(self, audios: dict, opts: dict) -> dict:
        kwargs = {"language": "en", "beam_size": opts["beam_size"], "best_of": opts["best_of"],
                  "temperature": list(opts["temperatures"]), "condition_on_previous_text": True,
                  "compression_ratio_threshold": 2.4, "log_prob_threshold": -1.0,
                  "no_speech_threshold": 0.6, "without_timestamps": False, "vad_filter": False}
        texts, wall = {}, 0.0
        for cid, audio in audios.items():
            t0 = time.perf_counter()
            if opts["batched"]:
                segs, _ = self.pipe.transcribe(audio, batch_size=opts["batch_size"],
                                               clip_timestamps=wer.fixed_windows(len(audio)), **kwargs)
            else:
                segs, _ = self.model.transcribe(audio, **kwargs)
            texts[cid] = "".join(s.text for s in segs)  # the generator does the work
            wall += time.perf_counter() - t0
        return {"wall_s": wall, "texts": texts}


def fmt_split(t: dict) -> str:
    return " ".join(f"{t[k]:.2f}" for k in SPLIT_KEYS)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-m", "--model", default=os.path.join(wer.ROOT, "models", "base"))
    p.add_argument("--compute-type", default="int8,fp32")
    p.add_argument("--decoding", default="greedy,beam5", help="greedy and/or beamN")
    p.add_argument("--mode", default="sequential,batched")
    p.add_argument("--inputs", default="gb0,en-clips")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--temperature", default="0")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--engines", default="tessera,faster-whisper")
    p.add_argument("--tessera", help="tessera binary (default $TESSERA_BIN or the newest build*/tessera)")
    p.add_argument("--json", help="write all measurements here")
    args = p.parse_args()

    engines = args.engines.split(",")
    binary = wer.find_tessera(args.tessera) if "tessera" in engines else None
    if "tessera" in engines and binary is None:
        raise SystemExit("no tessera binary with a transcribe command (set TESSERA_BIN)")
    inputs = inputs_of(args.inputs.split(","))
    audios = {name: {c["id"]: wer.read_wav_16k(c["path"]) for c in clips} for name, clips in inputs.items()}
    seconds = {name: sum(c["seconds"] for c in clips) for name, clips in inputs.items()}
    temps = [float(t) for t in args.temperature.split(",")]

    print(f"CPU: {cpu_name()}; threads {args.threads}; model {args.model}; temperature {args.temperature}; "
          f"rounds {args.rounds} (median)")
    if binary:
        print(f"tessera: {binary}")
    header = (f"{'input':9} {'type':5} {'decoding':8} {'mode':10} | {'tessera s':>9} {'x rt':>6} | "
              f"{'f-w s':>8} {'x rt':>6} | {'f-w/tess':>8} | tessera split s: audio mel enc dec rest")
    print(header)
    print("-" * len(header))
    rows = []
    for ct in args.compute_type.split(","):
        fw = FasterWhisper(args.model, ct, args.threads) if "faster-whisper" in engines else None
        if fw:
            print(f"  (faster-whisper {ct} model load {fw.load_s:.2f} s)")
        for decoding, mode, name in itertools.product(args.decoding.split(","), args.mode.split(","),
                                                      inputs):
            beam = 1 if decoding == "greedy" else int(decoding.removeprefix("beam"))
            opts = {"beam_size": beam, "best_of": 5, "temperatures": temps, "threads": args.threads,
                    "batched": mode == "batched", "batch_size": args.batch_size}
            t_runs, f_runs = [], []
            for _ in range(args.rounds):
                try:
                    if binary:
                        t_runs.append(tessera_once(binary, args.model, inputs[name], ct, opts))
                    if fw:
                        f_runs.append(fw.once(audios[name], opts))
                except Exception as e:  # noqa: BLE001 - report the configuration and go on
                    print(f"{name:9} {ct:5} {decoding:8} {mode:10} | error: {e}", flush=True)
                    break
            row = {"input": name, "audio_s": seconds[name], "compute_type": ct, "decoding": decoding,
                   "mode": mode, "tessera": t_runs, "faster_whisper": f_runs}
            t_wall = statistics.median(r["wall_s"] for r in t_runs) if t_runs else None
            f_wall = statistics.median(r["wall_s"] for r in f_runs) if f_runs else None
            row.update(tessera_wall_s=t_wall, faster_whisper_wall_s=f_wall)
            rows.append(row)
            tcell = f"{t_wall:9.2f} {seconds[name] / t_wall:6.1f}" if t_wall else f"{'-':>9} {'-':>6}"
            fcell = f"{f_wall:8.2f} {seconds[name] / f_wall:6.1f}" if f_wall else f"{'-':>8} {'-':>6}"
            ratio = f"{f_wall / t_wall:8.2f}" if t_wall and f_wall else f"{'-':>8}"
            split = ""
            if t_runs:
                best = min(t_runs, key=lambda r: abs(r["wall_s"] - t_wall))
                split = fmt_split(best) + f" ({best['windows']} windows)"
            print(f"{name:9} {ct:5} {decoding:8} {mode:10} | {tcell} | {fcell} | {ratio} | {split}",
                  flush=True)
    if args.json:
        json.dump({"cpu": cpu_name(), "model": args.model, "threads": args.threads,
                   "temperature": temps, "rows": rows}, open(args.json, "w"), indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
