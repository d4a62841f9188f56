#!/usr/bin/env python3
"""Word error rate of tessera, openai-whisper and faster-whisper on the clips with known transcripts.

    bench/wer --engine tessera,openai-whisper -m models/base --compute-type fp32,int8 --clips en
    bench/wer --engine tessera -m models/base --clips multilingual --json out.json

Clips: data/references.json entries whose audio is in data/audio as a 16 kHz mono 16-bit WAV (so every
engine gets the very same samples). Kinds ground_truth and official_text count in the totals;
model_output and reference_incomplete are run and shown but not counted. Text is normalized as
openai-whisper's evaluation does (EnglishTextNormalizer for en, BasicTextNormalizer otherwise, see
bench/textnorm.py); WER = word edits / reference words, CER (characters, spaces removed) for zh/ja/ko;
totals are sums of edits over sums of reference units.

Engines and where they run:
  tessera         the binary ($TESSERA_BIN, --tessera, or the newest build*/tessera with `transcribe`)
  openai-whisper  .venv-ow (torch; weights from the model folder via tests/integration/reference)
  faster-whisper  .venv-bench (scripts/bench-setup)
  fixture:PATH    a saved openai-whisper run (tests/integration/data/openai_whisper_<model>.json)
This script itself needs only regex and more-itertools (scripts/setup-wer-venv makes .venv-wer); the
python engines run in their own venv as a worker (this file with --worker).

Decoding options are passed explicitly and identically to every engine: language (en for English
clips; detection for the others unless --given-language), --beam-size (1: greedy), --temperature
(default "0": one temperature, no fallback), best_of 5, thresholds 2.4 / -1.0 / 0.6,
condition_on_previous_text on, timestamps on.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLE_RATE = 16000
CLIP_SETS = ("en", "multilingual", "longform", "all")
COUNTED_KINDS = ("ground_truth", "official_text")
VENV_PYTHON = {"openai-whisper": ("TESSERA_OW_PYTHON", ".venv-ow"),
               "faster-whisper": ("TESSERA_FW_PYTHON", ".venv-bench")}


# ----------------------------------------------------------------------------------------------- clips
def wav_info(path: str) -> tuple[int, int, int, int] | None:
    """(rate, channels, sample width, frames) of a PCM WAV, or None when it is not one."""
    try:
        with wave.open(path, "rb") as w:
            return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
    except (wave.Error, EOFError, OSError):
        return None


def read_wav_16k(path: str):
    """float32 samples in [-1, 1) of a 16 kHz mono s16 WAV (what ffmpeg's pcm_s16le decode gives)."""
    import numpy as np
    info = wav_info(path)
    if info is None or info[:3] != (SAMPLE_RATE, 1, 2):
        raise ValueError(f"{path}: not a 16 kHz mono 16-bit WAV (got {info})")
    with wave.open(path, "rb") as w:
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def clip_category(entry: dict) -> str:
    if any("longform/" in f for f in entry["files"]):
        return "longform"
    return "en" if entry["language"] == "en" else "multilingual"


def load_clips(which: str = "all", data_dir: str | None = None, references: str | None = None) -> list:
    """The clips of one set: dicts with id, path, language, reference, kind, category, seconds."""
    if which not in CLIP_SETS:
        raise ValueError(f"--clips: expected one of {CLIP_SETS}, got {which!r}")
    data_dir = data_dir or os.path.join(ROOT, "data", "audio")
    references = references or os.path.join(ROOT, "data", "references.json")
    clips, seen = [], set()
    for entry in json.load(open(references, encoding="utf-8")):
        category = clip_category(entry)
        if which != "all" and category != which:
            continue
        for name in entry["files"]:
            if ":" in name:  # one channel of a stereo file: its 16k copy is listed too
                continue
            for path in (os.path.join(data_dir, name), os.path.join(data_dir, os.path.basename(name))):
                info = wav_info(path) if os.path.isfile(path) else None
                if info and info[:3] == (SAMPLE_RATE, 1, 2):
                    break
            else:
                continue
            clip_id = os.path.splitext(os.path.basename(path))[0]
            if clip_id in seen:
                break
            seen.add(clip_id)
            clips.append({"id": clip_id, "path": os.path.abspath(path), "language": entry["language"],
                          "reference": entry["reference"], "kind": entry["kind"],
                          "category": category, "seconds": info[3] / SAMPLE_RATE})
            break
    return clips


def is_english_only(model_dir: str) -> bool:
    """*.en models: their vocabulary has eot at 50256 (suppress_ids_begin ends with it)."""
    try:
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        return 50256 in cfg.get("suppress_ids_begin", [])
    except (OSError, ValueError):
        return os.path.basename(os.path.normpath(model_dir)).endswith(".en")


def requested_language(clip: dict, given_language: bool) -> str | None:
    """The language passed to the engine: en for English clips; None (detect) for the others."""
    if clip["language"] == "en" or given_language:
        return clip["language"]
    return None


# -------------------------------------------------------------------------------------- decoding options
def decode_options(args) -> dict:
    temps = [float(t) for t in str(args.temperature).split(",")]
    return {"beam_size": args.beam_size, "temperatures": temps, "best_of": 5,
            "threads": args.threads, "batched": args.batched, "batch_size": args.batch_size}


# ------------------------------------------------------------------------------------------- tessera
def has_transcribe(binary: str) -> bool:
    try:
        return subprocess.run([binary, "transcribe", "--help"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_tessera(explicit: str | None = None) -> str | None:
    """$TESSERA_BIN, else build/tessera, else the newest build*/tessera that has `transcribe`."""
    if explicit:
        return explicit if has_transcribe(explicit) else None
    env = os.environ.get("TESSERA_BIN")
    if env:
        return env if has_transcribe(env) else None
    found = [p for p in glob.glob(os.path.join(ROOT, "build*", "tessera")) if os.access(p, os.X_OK)]
    found.sort(key=lambda p: (os.path.basename(os.path.dirname(p)) != "build", -os.path.getmtime(p)))
    for p in found:
        if has_transcribe(p):
            return p
    return None


# tessera's per-file summary line on stderr, e.g. "tessera: FILE: 127.4 s of audio in 37.70 s (3.4x
# realtime); audio decode 0.11 s, mel 0.25 s, encoder 21.47 s, decoder 15.77 s, other 0.08 s; 5 windows
# encoded, 0 fallbacks, ...". Fields are matched one by one so that added fields do not break parsing.
SUMMARY = re.compile(r"^tessera: (?P<name>.+): (?P<audio_s>[\d.]+) s of audio in (?P<wall_s>[\d.]+) s\b")
SUMMARY_FIELDS = {
    "audio_decode_s": re.compile(r"audio decode ([\d.]+) s"),
    "mel_s": re.compile(r"\bmel ([\d.]+) s"),
    "encoder_s": re.compile(r"\bencoder ([\d.]+) s"),
    "decoder_s": re.compile(r"\bdecoder ([\d.]+) s"),
    "other_s": re.compile(r"\bother ([\d.]+) s"),
    "windows": re.compile(r"(\d+) windows"),
    "fallbacks": re.compile(r"(\d+) fallbacks"),
}
LOAD = re.compile(r"^tessera: model load (?P<load_s>[\d.]+) s")


def parse_summaries(stderr: str) -> tuple[dict, float | None]:
    """Per-file time split from tessera's summary lines (keyed by the name printed) and the load time."""
    per_file, load_s = {}, None
    for line in stderr.splitlines():
        line = line.strip()
        m = SUMMARY.match(line)
        if m:
            row = {"audio_s": float(m.group("audio_s")), "wall_s": float(m.group("wall_s"))}
            tail = line[m.end():]
            for key, rx in SUMMARY_FIELDS.items():
                f = rx.search(tail)
                row[key] = float(f.group(1)) if f else 0.0
            per_file[m.group("name")] = row
        m = LOAD.match(line)
        if m:
            load_s = float(m.group("load_s"))
    return per_file, load_s


class EngineError(RuntimeError):
    pass


def tessera_command(binary, model, files, language, compute_type, opts, out_dir) -> list:
    cmd = [binary, "transcribe", "-m", model, "-l", language or "auto", "--compute-type", compute_type,
           "--beam-size", str(opts["beam_size"]), "--best-of", str(opts["best_of"]),
           "--temperature", ",".join(f"{t:g}" for t in opts["temperatures"]),
           "--threads", str(opts["threads"]), "-f", "json", "-o", out_dir]
    if opts["batched"]:
        cmd += ["--batched", "--batch-size", str(opts["batch_size"])]
    return cmd + list(files)


def run_tessera(binary, model, clips, compute_type, opts, given_language=False, timeout=1800) -> dict:
    """{"results": {id: {text, language, segments}}, "timings": {...}, "errors": {id: msg}}.

    One tessera process per requested language (the model is loaded once per group)."""
    groups: dict = {}
    for c in clips:
        groups.setdefault(requested_language(c, given_language), []).append(c)
    results, timings, errors, load_total, wall_total = {}, {}, {}, 0.0, 0.0
    for language, group in groups.items():
        with tempfile.TemporaryDirectory(prefix="tessera-wer-") as out:
            cmd = tessera_command(binary, model, [c["path"] for c in group], language, compute_type,
                                  opts, out)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            wall_total += time.perf_counter() - t0
            per_file, load_s = parse_summaries(proc.stderr)
            load_total += load_s or 0.0
            for c in group:
                path = os.path.join(out, c["id"] + ".json")
                if not os.path.isfile(path):
                    msg = [ln for ln in proc.stderr.splitlines() if c["path"] in ln and "error" in ln]
                    errors[c["id"]] = (msg[0] if msg else proc.stderr.strip()[-500:]) or "no output"
                    continue
                r = json.load(open(path, encoding="utf-8"))
                results[c["id"]] = {"text": r.get("text", ""), "language": r.get("language"),
                                    "segments": r.get("segments", [])}
                if c["path"] in per_file:
                    timings[c["id"]] = per_file[c["path"]]
            if proc.returncode != 0 and not results and len(errors) == len(group):
                raise EngineError(f"tessera failed (exit {proc.returncode}): {' '.join(cmd[:12])} ...\n"
                                  f"{proc.stderr.strip()[-1500:]}")
    return {"results": results, "timings": timings, "errors": errors,
            "load_s": load_total, "process_wall_s": wall_total}


# -------------------------------------------------------------------------- python engines (worker side)
def _segments_of_openai(segments) -> list:
    keep = ("id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
            "compression_ratio", "no_speech_prob")
    return [{k: s[k] for k in keep if k in s} for s in segments]


def worker_openai_whisper(spec: dict) -> dict:
    import torch
    torch.set_num_threads(spec["opts"]["threads"])
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    from reference import openai_whisper_model
    import whisper
    opts = spec["opts"]
    if opts["batched"]:
        raise SystemExit("openai-whisper has no batched mode")
    t0 = time.perf_counter()
    model = openai_whisper_model.load(spec["model"])
    out = {"load_s": time.perf_counter() - t0, "results": {}, "timings": {},
           "versions": {"openai-whisper": whisper.__version__, "torch": torch.__version__}}
    temps = opts["temperatures"]
    kwargs = {"temperature": temps[0] if len(temps) == 1 else tuple(temps), "fp16": False,
              "condition_on_previous_text": True, "compression_ratio_threshold": 2.4,
              "logprob_threshold": -1.0, "no_speech_threshold": 0.6, "verbose": None}
    if opts["beam_size"] > 1:
        kwargs["beam_size"] = opts["beam_size"]
    if any(t > 0 for t in temps):
        kwargs["best_of"] = opts["best_of"]
    for clip in spec["clips"]:
        audio = read_wav_16k(clip["path"])
        t0 = time.perf_counter()
        with torch.no_grad():
            r = model.transcribe(audio, language=clip["request_language"], **kwargs)
        out["timings"][clip["id"]] = {"wall_s": time.perf_counter() - t0, "audio_s": clip["seconds"]}
        out["results"][clip["id"]] = {"text": r["text"], "language": r["language"],
                                      "segments": _segments_of_openai(r["segments"])}
    return out


def fixed_windows(n_samples: int, window: int = 30 * SAMPLE_RATE) -> list:
    """faster-whisper's batched clip_timestamps (in seconds): back-to-back 30 s windows."""
    return [{"start": s / SAMPLE_RATE, "end": min(s + window, n_samples) / SAMPLE_RATE}
            for s in range(0, n_samples, window)]


def worker_faster_whisper(spec: dict) -> dict:
    import faster_whisper
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    opts = spec["opts"]
    ct = {"fp32": "float32", "int8": "int8", "bf16": "bfloat16"}.get(spec["compute_type"],
                                                                       spec["compute_type"])
    t0 = time.perf_counter()
    model = WhisperModel(spec["model"], device="cpu", compute_type=ct, cpu_threads=opts["threads"],
                         num_workers=1)
    pipe = BatchedInferencePipeline(model) if opts["batched"] else None
    out = {"load_s": time.perf_counter() - t0, "results": {}, "timings": {},
           "versions": {"faster-whisper": faster_whisper.__version__}}
    kwargs = {"beam_size": opts["beam_size"], "best_of": opts["best_of"],
              "temperature": list(opts["temperatures"]), "compression_ratio_threshold": 2.4,
              "log_prob_threshold": -1.0, "no_speech_threshold": 0.6,
              "condition_on_previous_text": True, "without_timestamps": False}
    for clip in spec["clips"]:
        audio = read_wav_16k(clip["path"])
        t0 = time.perf_counter()
        if pipe is not None:
            # Fixed 30 s windows, no VAD: the same audio tessera's batched mode decodes.
            segs, info = pipe.transcribe(audio, language=clip["request_language"],
                                         batch_size=opts["batch_size"], vad_filter=False,
                                         clip_timestamps=fixed_windows(len(audio)), **kwargs)
        else:
            segs, info = model.transcribe(audio, language=clip["request_language"], vad_filter=False,
                                          **kwargs)
        segs = list(segs)  # the generator does the work
        out["timings"][clip["id"]] = {"wall_s": time.perf_counter() - t0, "audio_s": clip["seconds"]}
        out["results"][clip["id"]] = {
            "text": "".join(s.text for s in segs), "language": info.language,
            "segments": [{"id": i, "start": s.start, "end": s.end, "text": s.text}
                         for i, s in enumerate(segs)]}
    return out


def venv_python(engine: str) -> str:
    env, venv = VENV_PYTHON[engine]
    return os.environ.get(env) or os.path.join(ROOT, venv, "bin", "python")


def run_python_engine(engine, model, clips, compute_type, opts, given_language=False) -> dict:
    """Runs the engine in its own venv (this file with --worker); returns the worker's JSON."""
    python = venv_python(engine)
    if not os.path.exists(python):
        raise EngineError(f"{engine}: {python} not found (set ${VENV_PYTHON[engine][0]})")
    spec = {"engine": engine, "model": os.path.abspath(model), "compute_type": compute_type,
            "opts": opts,
            "clips": [dict(c, request_language=requested_language(c, given_language)) for c in clips]}
    with tempfile.TemporaryDirectory(prefix="wer-worker-") as tmp:
        spec_path, out_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "out.json")
        json.dump(spec, open(spec_path, "w"))
        t0 = time.perf_counter()
        proc = subprocess.run([python, os.path.abspath(__file__), "--worker", spec_path, out_path],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not os.path.exists(out_path):
            raise EngineError(f"{engine} worker failed (exit {proc.returncode}):\n"
                              f"{proc.stderr.strip()[-2000:]}")
        out = json.load(open(out_path, encoding="utf-8"))
    out["process_wall_s"] = wall
    out.setdefault("errors", {})
    return out


def load_fixture(path: str, clips: list) -> dict:
    fx = json.load(open(path, encoding="utf-8"))
    results = {c["id"]: fx["clips"][c["id"]] for c in clips if c["id"] in fx["clips"]}
    return {"results": results, "timings": {}, "errors": {}, "fixture": fx.get("generator", {})}


# -------------------------------------------------------------------------------------------- scoring
def score_run(clips: list, run: dict) -> dict:
    """Per-clip edits/units and totals (en, longform, per language, multilingual WER and CER)."""
    import textnorm
    rows, totals = {}, {}

    def add(key, edits, units):
        t = totals.setdefault(key, {"edits": 0, "units": 0, "clips": 0})
        t["edits"] += edits
        t["units"] += units
        t["clips"] += 1

    for c in clips:
        r = run["results"].get(c["id"])
        if r is None:
            continue
        lang = "en" if "+" in c["language"] else c["language"]  # en+de: model output, not counted
        edits, units = textnorm.score(c["reference"], r["text"], lang)
        metric = textnorm.metric_name(lang)
        rows[c["id"]] = {"edits": edits, "units": units, "metric": metric,
                         "rate": 100.0 * edits / max(units, 1), "detected": r.get("language"),
                         "text": r["text"], "counted": c["kind"] in COUNTED_KINDS}
        if c["kind"] not in COUNTED_KINDS:
            continue
        if c["category"] == "multilingual":
            add(lang, edits, units)
            add(f"multilingual {metric}", edits, units)
        else:
            add(c["category"], edits, units)
    for t in totals.values():
        t["rate"] = 100.0 * t["edits"] / max(t["units"], 1)
    return {"clips": rows, "totals": totals}


# ------------------------------------------------------------------------------------------------ main
def config_label(engine: str, compute_type: str, opts: dict) -> str:
    if engine.startswith("fixture:"):
        return "openai-whisper (fixture)"
    ct = "fp32" if engine == "openai-whisper" else compute_type
    mode = " batched" if opts["batched"] else ""
    return f"{engine} {ct}{mode}"


def run_config(engine, compute_type, args, clips, opts, binary) -> dict:
    if engine == "tessera":
        if binary is None:
            raise EngineError("no tessera binary with a transcribe command (set TESSERA_BIN)")
        return run_tessera(binary, args.model, clips, compute_type, opts, args.given_language)
    if engine in VENV_PYTHON:
        return run_python_engine(engine, args.model, clips, compute_type, opts, args.given_language)
    if engine.startswith("fixture:"):
        return load_fixture(engine.split(":", 1)[1], clips)
    raise EngineError(f"unknown engine {engine!r}")


def print_table(clips, configs, show_text=False) -> None:
    labels = [c["label"] for c in configs]
    width = max(14, *(len(lb) for lb in labels))
    print(f"{'clip':34} {'lang':5} {'sec':>6} {'units':>5}  " + "  ".join(f"{lb:>{width}}" for lb in labels))
    for c in clips:
        cells, units = [], None
        for cfg in configs:
            row = cfg["score"]["clips"].get(c["id"])
            if row is None:
                cells.append(f"{'-':>{width}}")
                continue
            units = row["units"]
            det = "" if c["category"] != "multilingual" else f" [{row['detected']}]"
            cell = f"{row['rate']:.1f}% ({row['edits']}){det}"
            cells.append(f"{cell:>{width}}")
        mark = "" if c["kind"] in COUNTED_KINDS else " *"
        print(f"{(c['id'] + mark)[:34]:34} {c['language']:5} {c['seconds']:6.1f} {units or 0:>5}  "
              + "  ".join(cells))
    keys = []
    for cfg in configs:
        keys += [k for k in cfg["score"]["totals"] if k not in keys]
    order = ["en", "longform"] + sorted(k for k in keys if len(k) <= 3 and k != "en")
    keys = [k for k in order if k in keys] + sorted(k for k in keys if k not in order)
    print("-" * (55 + (width + 2) * len(configs)))
    for k in keys:
        cells = []
        for cfg in configs:
            t = cfg["score"]["totals"].get(k)
            cell = f"{t['rate']:.2f}% ({t['edits']}/{t['units']})" if t else "-"
            cells.append(f"{cell:>{width}}")
        name = k if k.startswith("multilingual") else f"{k} ({'CER' if k in ('ja', 'ko', 'zh') else 'WER'})"
        print(f"{'TOTAL ' + name:53}  " + "  ".join(cells))
    if any(c["kind"] not in COUNTED_KINDS for c in clips):
        print("* not counted in totals (reference is model output or incomplete)")
    if show_text:
        for c in clips:
            print(f"\n{c['id']}\n  ref: {c['reference']}")
            for cfg in configs:
                row = cfg["score"]["clips"].get(c["id"])
                if row:
                    print(f"  {cfg['label']}: {row['text'].strip()}")
    for cfg in configs:
        for cid, msg in cfg["run"].get("errors", {}).items():
            print(f"error: {cfg['label']}: {cid}: {msg}", file=sys.stderr)


def fixture_of(clips, run, model, opts, given_language=False) -> dict:
    """The saved openai-whisper run: text and language per clip; segments (times, text) for long-form."""
    out = {}
    for c in clips:
        r = run["results"].get(c["id"])
        if r is None:
            continue
        item = {"text": r["text"], "language": r["language"],
                "requested_language": requested_language(c, given_language)}
        if c["category"] == "longform":
            item["segments"] = [{"start": round(s["start"], 3), "end": round(s["end"], 3),
                                 "text": s["text"]} for s in r["segments"]]
        out[c["id"]] = item
    return {"generator": {"engine": "openai-whisper", **run.get("versions", {}),
                          "model": os.path.basename(os.path.normpath(model)),
                          "options": {"temperature": opts["temperatures"], "beam_size": opts["beam_size"],
                                      "fp16": False, "condition_on_previous_text": True,
                                      "threshold": [2.4, -1.0, 0.6]}},
            "clips": out}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="tessera",
                   help="comma list: tessera, openai-whisper, faster-whisper, fixture:PATH")
    p.add_argument("-m", "--model", default=os.path.join(ROOT, "models", "base"))
    p.add_argument("--compute-type", default="fp32", help="comma list: fp32, int8, bf16, auto")
    p.add_argument("--beam-size", type=int, default=1, help="1: greedy (default)")
    p.add_argument("--temperature", default="0", help="temperatures tried on fallback (default: 0 only)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batched", action="store_true", help="tessera --batched / BatchedInferencePipeline")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--clips", default="en", choices=CLIP_SETS)
    p.add_argument("--only", default="", help="comma list of clip ids to run")
    p.add_argument("--given-language", action="store_true",
                   help="pass each clip's language instead of detecting it (non-English clips)")
    p.add_argument("--data-dir", help="audio folder (default data/audio)")
    p.add_argument("--tessera", help="tessera binary (default $TESSERA_BIN or the newest build*/tessera)")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--write-fixture", help="(openai-whisper) save the run as a test fixture here")
    p.add_argument("--show-text", action="store_true", help="print reference and transcripts")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        spec = json.load(open(args.worker[0]))
        fn = {"openai-whisper": worker_openai_whisper, "faster-whisper": worker_faster_whisper}
        json.dump(fn[spec["engine"]](spec), open(args.worker[1], "w"))
        return 0

    sys.path.insert(0, HERE)
    import textnorm
    try:
        textnorm.normalizer("en")
    except textnorm.NormalizerUnavailable as e:
        print(f"wer: {e}", file=sys.stderr)
        return 2

    clips = load_clips(args.clips, args.data_dir)
    if args.only:
        wanted = set(args.only.split(","))
        clips = [c for c in clips if c["id"] in wanted]
    if is_english_only(args.model):
        clips = [c for c in clips if c["language"] == "en"]
    if not clips:
        print("wer: no clips to run", file=sys.stderr)
        return 2
    opts = decode_options(args)
    engines = args.engine.split(",")
    binary = find_tessera(args.tessera) if "tessera" in engines else None
    configs = []
    for engine in engines:
        cts = ["fp32"] if engine == "openai-whisper" or engine.startswith("fixture:") else \
            args.compute_type.split(",")
        for ct in cts:
            label = config_label(engine, ct, opts)
            print(f"wer: running {label} on {len(clips)} clips ({args.model})", file=sys.stderr)
            t0 = time.perf_counter()
            try:
                run = run_config(engine, ct, args, clips, opts, binary)
            except EngineError as e:
                print(f"wer: {label}: {e}", file=sys.stderr)
                continue
            run.setdefault("wall_s", time.perf_counter() - t0)
            configs.append({"label": label, "engine": engine, "compute_type": ct, "run": run,
                            "score": score_run(clips, run)})
    if not configs:
        return 1
    print(f"model {args.model}; beam {opts['beam_size']}; temperature {args.temperature}; "
          f"threads {opts['threads']}")
    print_table(clips, configs, args.show_text)
    if args.json:
        json.dump({"model": args.model, "options": opts, "clips": clips,
                   "configs": [{k: v for k, v in c.items()} for c in configs]},
                  open(args.json, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    if args.write_fixture:
        ow = [c for c in configs if c["engine"] == "openai-whisper"]
        if not ow:
            print("wer: --write-fixture needs --engine openai-whisper", file=sys.stderr)
            return 2
        os.makedirs(os.path.dirname(os.path.abspath(args.write_fixture)), exist_ok=True)
        with open(args.write_fixture, "w", encoding="utf-8") as f:
            json.dump(fixture_of(clips, ow[0]["run"], args.model, opts, args.given_language), f, ensure_ascii=False, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
