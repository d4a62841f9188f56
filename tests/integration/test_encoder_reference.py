#!/usr/bin/env python3
"""tessera's log-mel and encoder vs the independent float64 NumPy reference, on real weights.

For models/base and models/tiny.en and three real speech clips, runs
    $TESSERA_BIN mel -f CLIP --dump-npy MEL.npy
    $TESSERA_BIN encode -m MODEL -f CLIP --compute-type TYPE --threads 2 --dump-npy OUT.npy
and compares with tests/integration/reference (whisper_ref.py on weights read by
ct2_reader.py): log-mel max abs difference, and per compute type the encoder bounds in
reference/compare.py (fp32: min per-frame cosine and max abs; bf16/int8: mean cosine and
relative error). The reference first checks itself (reference/selftest.py).
Exit 0 pass, 1 fail, 77 skip (a model folder is missing, nothing failed).

Environment: TESSERA_BIN (the tessera binary), TESSERA_SOURCE_DIR (repo root; default: found
from this file), TESSERA_COMPUTE_TYPE (default fp32; --compute-type overrides),
TESSERA_REF_CACHE (folder for cached reference outputs; default: reference-cache/ next to
TESSERA_BIN; "0" turns caching off).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from reference import ct2_reader, selftest, whisper_ref  # noqa: E402
from reference.compare import (ENCODER_THRESHOLDS, MEL_MAX_ABS, compare_frames,  # noqa: E402
                               max_abs_diff)

SKIP = 77
MODELS = ["base", "tiny.en"]
CLIPS = ["jfk.wav", "1272-128104-0000.wav", "61-70968-0002.wav"]
TOOL_TIMEOUT_S = 600


@functools.lru_cache(maxsize=None)
def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ReferenceCache:
    """Reference encoder outputs on disk, keyed by the bytes of model, clip and reference code."""

    def __init__(self, folder: str | None):
        self.folder = folder
        code = hashlib.sha256()
        for name in ("ct2_reader.py", "whisper_ref.py"):
            with open(os.path.join(HERE, "reference", name), "rb") as f:
                code.update(f.read())
        self.code_hash = code.hexdigest()

    def path(self, model_bin: str, clip: str) -> str | None:
        if not self.folder:
            return None
        key = hashlib.sha256(
            f"{self.code_hash}:{sha256_of(model_bin)}:{sha256_of(clip)}".encode()).hexdigest()
        return os.path.join(self.folder, key[:32] + ".npy")

    def load(self, path: str | None):
        if path and os.path.exists(path):
            try:
                return np.load(path)
            except (OSError, ValueError):
                return None
        return None

    def store(self, path: str | None, value: np.ndarray) -> None:
        if not path:
            return
        try:
            os.makedirs(self.folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, value)
            os.replace(tmp, path)  # atomic: parallel ctest runs never see half a file
        except OSError as e:
            print(f"note: could not cache the reference ({e})")


def run_tool(args: list[str]) -> str | None:
    """Run tessera; return None on success, else a message with the tail of its output."""
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"timed out after {TOOL_TIMEOUT_S} s: {' '.join(args)}"
    except OSError as e:
        return f"cannot run {args[0]}: {e}"
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip()[-800:]
        return f"exit {proc.returncode}: {' '.join(args)}\n{tail}"
    return None


def load_npy(path: str, shape: tuple) -> tuple[np.ndarray | None, str | None]:
    try:
        arr = np.load(path)
    except (OSError, ValueError) as e:
        return None, f"cannot read {path}: {e}"
    if arr.dtype != np.float32:
        return None, f"{path}: dtype {arr.dtype}, expected float32"
    if arr.shape != shape:
        return None, f"{path}: shape {arr.shape}, expected {shape}"
    return arr, None


def default_cache_folder(tessera_bin: str) -> str | None:
    env = os.environ.get("TESSERA_REF_CACHE")
    if env == "0":
        return None
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(tessera_bin)), "reference-cache")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compute-type", default=os.environ.get("TESSERA_COMPUTE_TYPE", "fp32"),
                    choices=sorted(ENCODER_THRESHOLDS))
    ap.add_argument("--models", nargs="+", default=MODELS)
    ap.add_argument("--clips", nargs="+", default=CLIPS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-if-unavailable", action="store_true",
                    help="skip (77) when tessera says the compute type is not available here "
                         "(a CPU without the feature), instead of failing")
    args = ap.parse_args()

    source_dir = os.environ.get("TESSERA_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
    tessera = os.environ.get("TESSERA_BIN", "")
    if not tessera or not os.access(tessera, os.X_OK):
        print(f"FAIL: TESSERA_BIN={tessera!r} is not an executable tessera binary")
        return 1
    problems = selftest.run()  # a wrong reference would make every comparison meaningless
    if problems:
        print("FAIL: the reference's own selftest:\n  " + "\n  ".join(problems))
        return 1
    thresholds = ENCODER_THRESHOLDS[args.compute_type]
    cache = ReferenceCache(default_cache_folder(tessera))
    filters_path = os.path.join(source_dir, "assets", "mel_filters.npz")
    clips = {c: os.path.join(source_dir, "data", "audio", c) for c in args.clips}
    for c, p in clips.items():
        if not os.path.exists(p):
            print(f"FAIL: clip {p} is missing from the repo")
            return 1

    failures: list[str] = []
    missing: list[str] = []
    unavailable = ""
    rows: list[str] = []
    mel_rows: list[str] = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="tessera-ref-") as tmp:
        # Log-mel (80 bins) vs the reference, per clip: the 30 s window tessera's encoder
        # uses, the whole file (+30 s of zeros) and 3000-frame windows cut from it at an
        # offset inside the audio and at one that runs past the end (zero-padded).
        filters80 = whisper_ref.mel_filters(filters_path, 80)
        ref_mels: dict[tuple[int, str], np.ndarray] = {}
        mel_diffs: dict[str, float] = {}
        for clip, clip_path in clips.items():
            audio = whisper_ref.load_wav_16k_mono(clip_path)
            ref_mels[(80, clip)] = whisper_ref.log_mel_window(audio, filters80)
            whole = whisper_ref.log_mel_whole(audio, filters80)
            late = whole.shape[1] - whisper_ref.N_FRAMES // 2
            cases = [("window", [], ref_mels[(80, clip)]),
                     ("whole", ["--whole"], whole),
                     ("offset 1000", ["--whole", "--offset", "1000"],
                      whisper_ref.mel_window_at(whole, 1000)),
                     (f"offset {late}", ["--whole", "--offset", str(late)],
                      whisper_ref.mel_window_at(whole, late))]
            diffs = []
            for label, extra, ref in cases:
                out = os.path.join(tmp, f"mel-{clip}-{len(diffs)}.npy")
                err = run_tool([tessera, "mel", "-f", clip_path, *extra, "--dump-npy", out])
                mel, err = (None, err) if err else load_npy(out, ref.shape)
                diff = float("nan") if err else max_abs_diff(mel, ref)
                diffs.append(diff)
                if err:
                    failures.append(f"mel {clip} {label}: {err}")
                elif not diff <= MEL_MAX_ABS:
                    failures.append(f"mel {clip} {label}: max abs {diff:.3e} > {MEL_MAX_ABS}")
            mel_diffs[clip] = diffs[0]
            mel_rows.append(f"{clip:22} " + " ".join(f"{d:11.2e}" for d in diffs)
                            + f"   (offsets 1000, {late} of {whole.shape[1]} frames)")

        for name in args.models:
            model_dir = os.path.join(source_dir, "models", name)
            model_bin = os.path.join(model_dir, "model.bin")
            if not os.path.exists(model_bin):
                print(f"note: {model_dir} is missing (scripts/fetch-model {name}); skipping it")
                missing.append(name)
                continue
            if unavailable:
                break
            weights = None
            for clip, clip_path in clips.items():
                cache_path = cache.path(model_bin, clip_path)
                ref = cache.load(cache_path)
                if ref is None:
                    if weights is None:
                        weights = whisper_ref.EncoderWeights(ct2_reader.load(model_bin))
                    key = (weights.n_mels, clip)
                    if key not in ref_mels:
                        audio = whisper_ref.load_wav_16k_mono(clip_path)
                        ref_mels[key] = whisper_ref.log_mel_window(
                            audio, whisper_ref.mel_filters(filters_path, weights.n_mels))
                    ref = whisper_ref.encode(ref_mels[key], weights)
                    cache.store(cache_path, ref)
                out = os.path.join(tmp, f"enc-{name}-{clip}.npy")
                err = run_tool([tessera, "encode", "-m", model_dir, "-f", clip_path,
                                "--compute-type", args.compute_type,
                                "--threads", str(args.threads), "--dump-npy", out])
                if err and args.skip_if_unavailable and "not available" in err:
                    unavailable = err.strip().splitlines()[-1]
                    break
                enc, err = (None, err) if err else load_npy(out, ref.shape)
                if err:
                    failures.append(f"encode {name} {clip}: {err}")
                    continue
                stats = compare_frames(enc, ref)
                rows.append(f"{name:8} {clip:22} {mel_diffs.get(clip, float('nan')):10.2e} "
                            f"{stats.min_cosine:12.9f} {stats.mean_cosine:12.9f} "
                            f"{stats.max_abs:10.2e} {stats.rel_error:10.2e}")
                for why in thresholds.failures(stats):
                    failures.append(f"encode {name} {clip} ({args.compute_type}): {why}")

    print(f"compute type {args.compute_type}; bounds: mel max|d| <= {MEL_MAX_ABS}, encoder "
          + ", ".join(f"{k} {v}" for k, v in vars(thresholds).items() if v is not None))
    print(f"log-mel max |d|: {'clip':22} {'window':>11} {'whole':>11} {'offset A':>11} "
          f"{'offset B':>11}")
    for row in mel_rows:
        print(" " * 17 + row)
    print(f"{'model':8} {'clip':22} {'mel max|d|':>10} {'min cos':>12} {'mean cos':>12} "
          f"{'max |d|':>10} {'rel err':>10}")
    for row in rows:
        print(row)
    print(f"({time.time() - started:.1f} s)")
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    if unavailable:
        print(f"SKIP: compute type {args.compute_type} unavailable: {unavailable}")
        return SKIP
    if missing:
        print(f"SKIP: model folders missing: {', '.join(missing)}")
        return SKIP
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
