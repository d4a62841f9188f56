#!/usr/bin/env python3
"""Accuracy gates of `tessera transcribe` against openai-whisper on the same weights (issue 5).

openai-whisper's side is a fixture, tests/integration/data/openai_whisper_<model>.json, made by
scripts/gen_wer_fixtures.sh (openai-whisper 20250625, fp32, greedy, temperature 0 only). tessera runs
with the same explicit options: --beam-size 1 --temperature 0 --threads 2, -l en for English clips,
-l auto for the others. Text is scored with openai-whisper's normalizers (bench/textnorm.py).

Gates, for models/tiny.en and models/base, over all English audio with references (the 11 short
clips, ~85 s, and gb0.wav, 127 s; "total" WER = edits over reference words of all of them, ~577 words):
  1. fp32 greedy transcripts equal openai-whisper's (after strip) on all but at most one clip;
  2. fp32 total WER within 0.2 points of openai-whisper's (either way: same weights, same algorithm);
  3. jfk.wav gives the known sentence (normalized text equals the normalized reference);
  4. int8 and bf16 total WER at most 0.5 points above tessera fp32's, for each type this CPU runs
     (tessera refuses a type the CPU lacks: reported as skipped);
  5. gb0.wav sequential and --batched: segment times monotonic and inside the audio, no text repeated
     across a segment boundary, WER against the official text not above openai-whisper's;
  6. base only: language detection (-l auto) picks the right language for the de, es, fr, ja, ko, zh
     and ru clips (their CER/WER is printed beside openai-whisper's, not gated).
The batched gb0 run with base is the slow extra: it runs only with TESSERA_FULL_GATES=1.

Exit 0 pass, 1 fail, 77 skip (model folders, a tessera with `transcribe`, or the normalizer venv
missing). Environment: TESSERA_BIN, TESSERA_SOURCE_DIR, TESSERA_WER_PYTHON (a Python with regex and
more-itertools; default .venv-wer, then .venv-ow), TESSERA_FULL_GATES.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("TESSERA_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))

MODELS = ["tiny.en", "base"]
JFK = "jfk"
LONGFORM = "gb0"
DETECT_LANGUAGES = {"de", "es", "fr", "ja", "ko", "zh", "ru"}
FP32_WER_TOLERANCE = 0.2     # points, either way
FAST_TYPE_WER_TOLERANCE = 0.5  # points above tessera fp32
MAX_DIFFERENT_CLIPS = 1
TIME_SLACK_S = 0.02


def ensure_normalizer_python() -> None:
    """Re-runs this file under a Python that can load openai-whisper's normalizers, or skips."""
    try:
        import textnorm
        textnorm.normalizer("en")
        return
    except Exception as e:  # noqa: BLE001 - any import problem means "try another interpreter"
        reason = str(e)
    if os.environ.get("TESSERA_WER_REEXEC"):
        print(f"SKIP: {reason}")
        sys.exit(SKIP)
    candidates = [os.environ.get("TESSERA_WER_PYTHON"), os.path.join(ROOT, ".venv-wer", "bin", "python"),
                  os.path.join(ROOT, ".venv-ow", "bin", "python")]
    for py in candidates:
        if py and os.path.exists(py):
            env = dict(os.environ, TESSERA_WER_REEXEC="1")
            sys.exit(subprocess.run([py, os.path.abspath(__file__)] + sys.argv[1:], env=env).returncode)
    print(f"SKIP: {reason} (run scripts/setup-wer-venv)")
    sys.exit(SKIP)


class Gates:
    def __init__(self, verbose: bool):
        self.failures: list[str] = []
        self.skipped: list[str] = []
        self.verbose = verbose

    def check(self, ok: bool, what: str) -> bool:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)
        return ok

    def skip(self, what: str) -> None:
        print(f"skip {what}")
        self.skipped.append(what)


def total(score: dict, key: str) -> float | None:
    t = score["totals"].get(key)
    return t["rate"] if t else None


def fast_type_available(binary: str, model: str, compute_type: str, probe: dict) -> tuple[bool, str]:
    """Whether tessera runs this compute type here (it refuses types the CPU lacks, with a message)."""
    proc = subprocess.run([binary, "transcribe", "-m", model, "--compute-type", compute_type,
                               "-l", "en", "--beam-size", "1", "--temperature", "0", "--threads", "2",
                               probe["path"]], capture_output=True, text=True, timeout=600)
    if proc.returncode == 0:
        return True, ""
    return False, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"


def words_overlap_at_boundary(prev_words: list, next_words: list, min_words: int = 3) -> int:
    """Length of the longest suffix of prev that is a prefix of next (>= min_words), else 0."""
    for k in range(min(len(prev_words), len(next_words)), min_words - 1, -1):
        if prev_words[-k:] == next_words[:k]:
            return k
    return 0


def check_segments(g: Gates, label: str, segments: list, duration: float, language: str) -> None:
    import textnorm
    bad_time, repeats = [], []
    prev = None
    for s in segments:
        start, end = float(s["start"]), float(s["end"])
        if not (0 <= start <= end <= duration + TIME_SLACK_S):
            bad_time.append(f"[{start:.2f},{end:.2f}]")
        if prev is not None:
            if start < float(prev["start"]) or start < float(prev["end"]) - TIME_SLACK_S:
                bad_time.append(f"[{prev['start']:.2f},{prev['end']:.2f}]->[{start:.2f},{end:.2f}]")
            a = textnorm.normalize(prev["text"], language).split()
            b = textnorm.normalize(s["text"], language).split()
            k = words_overlap_at_boundary(a, b)
            if k or (a and a == b):
                repeats.append(f"{' '.join(b[:max(k, 3)])!r} at {start:.2f}s")
        prev = s
    g.check(not bad_time, f"{label}: {len(segments)} segments, times monotonic and inside "
                          f"0..{duration:.2f}s" + (f" (bad: {', '.join(bad_time[:5])})" if bad_time else ""))
    g.check(not repeats, f"{label}: no text repeated across segment boundaries"
                         + (f" (repeated: {'; '.join(repeats[:3])})" if repeats else ""))


def show_differences(clips, fixture, results) -> list:
    diffs = []
    for c in clips:
        ow = fixture["clips"].get(c["id"], {}).get("text")
        ours = results.get(c["id"], {}).get("text")
        if ow is None or ours is None or ow.strip() != ours.strip():
            diffs.append(c["id"])
            print(f"     differs on {c['id']}:\n       openai-whisper: {ow!r}\n       tessera:        {ours!r}")
    return diffs


def combined(score: dict) -> float | None:
    """Total WER over all English audio with references: the short clips and gb0 together."""
    parts = [score["totals"][k] for k in ("en", "longform") if k in score["totals"]]
    units = sum(t["units"] for t in parts)
    return 100.0 * sum(t["edits"] for t in parts) / units if units else None


def gate_model(g: Gates, wer, binary: str, model_name: str, full: bool) -> None:
    model = os.path.join(ROOT, "models", model_name)
    fixture_path = os.path.join(HERE, "data", f"openai_whisper_{model_name}.json")
    if not g.check(os.path.isfile(fixture_path), f"{model_name}: fixture {fixture_path} exists"):
        return
    fixture = json.load(open(fixture_path, encoding="utf-8"))
    opts = {"beam_size": 1, "temperatures": [0.0], "best_of": 5, "threads": 2, "batched": False,
            "batch_size": 8}
    longform = [c for c in wer.load_clips("longform") if c["id"] == LONGFORM]
    if not g.check(bool(longform) and LONGFORM in fixture["clips"],
                   f"{model_name}: gb0.wav and its openai-whisper transcript exist"):
        return
    english = wer.load_clips("en") + longform  # all English audio with references
    ow_score = wer.score_run(english, wer.load_fixture(fixture_path, english))
    ow_total, ow_lf = combined(ow_score), ow_score["totals"]["longform"]["rate"]

    # 1-3: fp32 greedy, sequential, on every English clip and gb0 (one tessera process).
    run = wer.run_tessera(binary, model, english, "fp32", opts)
    for cid, msg in run["errors"].items():
        g.check(False, f"{model_name} fp32: {cid} transcribed ({msg})")
    score = wer.score_run(english, run)
    fp32_total = combined(score)
    diffs = show_differences(english, fixture, run["results"])
    g.check(len(diffs) <= MAX_DIFFERENT_CLIPS,
            f"{model_name} fp32: transcripts equal openai-whisper's on {len(english) - len(diffs)}"
            f"/{len(english)} English clips (at most {MAX_DIFFERENT_CLIPS} may differ)")
    short = total(score, "en")
    g.check(fp32_total is not None and abs(fp32_total - ow_total) <= FP32_WER_TOLERANCE + 1e-9,
            f"{model_name} fp32: total English WER {fp32_total:.2f}% vs openai-whisper {ow_total:.2f}% "
            f"(within {FP32_WER_TOLERANCE} points; short clips alone {short:.2f}% vs "
            f"{total(ow_score, 'en'):.2f}%)")
    jfk = score["clips"].get(JFK)
    g.check(jfk is not None and jfk["edits"] == 0,
            f"{model_name} fp32: jfk gives the known sentence"
            + ("" if jfk is None else f" ({jfk['text'].strip()!r})"))

    # 5 (sequential): gb0 from the same run.
    res = run["results"].get(LONGFORM)
    if res is not None:
        lf = total(score, "longform")
        g.check(lf <= ow_lf + 1e-9, f"{model_name} gb0 sequential: WER {lf:.2f}% vs openai-whisper "
                                    f"{ow_lf:.2f}% (not worse)")
        check_segments(g, f"{model_name} gb0 sequential", res["segments"], longform[0]["seconds"], "en")

    # 4: fast compute types against tessera fp32, same clips.
    probe = min(english, key=lambda c: c["seconds"])
    for ct in ("int8", "bf16"):
        ok, why = fast_type_available(binary, model, ct, probe)
        if not ok:
            g.skip(f"{model_name} {ct}: not available here ({why})")
            continue
        fast = wer.score_run(english, wer.run_tessera(binary, model, english, ct, opts))
        fast_total = combined(fast)
        g.check(fast_total is not None and fast_total <= fp32_total + FAST_TYPE_WER_TOLERANCE + 1e-9,
                f"{model_name} {ct}: total English WER {fast_total:.2f}% vs tessera fp32 "
                f"{fp32_total:.2f}% (at most {FAST_TYPE_WER_TOLERANCE} points above; short clips "
                f"{total(fast, 'en'):.2f}% vs {short:.2f}%, gb0 {total(fast, 'longform'):.2f}% vs "
                f"{total(score, 'longform'):.2f}%)")

    # 5 (batched): gb0 through --batched.
    if model_name == "base" and not full:
        g.skip(f"{model_name} gb0 batched: runs with TESSERA_FULL_GATES=1")
    else:
        r = wer.run_tessera(binary, model, longform, "fp32", dict(opts, batched=True))
        res = r["results"].get(LONGFORM)
        if g.check(res is not None, f"{model_name} gb0 batched: transcribed {r['errors'].get(LONGFORM, '')}"):
            lf = total(wer.score_run(longform, r), "longform")
            g.check(lf <= ow_lf + 1e-9,
                    f"{model_name} gb0 batched: WER {lf:.2f}% vs openai-whisper {ow_lf:.2f}% (not worse)")
            check_segments(g, f"{model_name} gb0 batched", res["segments"], longform[0]["seconds"], "en")

    # 6: language detection (multilingual models).
    if wer.is_english_only(model):
        return
    multi = [c for c in wer.load_clips("multilingual") if c["language"] in DETECT_LANGUAGES]
    r = wer.run_tessera(binary, model, multi, "fp32", opts)
    ms = wer.score_run(multi, r)
    ow_ms = wer.score_run(multi, wer.load_fixture(fixture_path, multi))
    for c in multi:
        got = r["results"].get(c["id"], {}).get("language")
        row, ow_row = ms["clips"].get(c["id"]), ow_ms["clips"].get(c["id"])
        extra = ""
        if row:
            extra = f"; {row['metric']} {row['rate']:.1f}%"
            if ow_row:
                extra += f" (openai-whisper {ow_row['rate']:.1f}%, detected {ow_row['detected']})"
        g.check(got == c["language"], f"{model_name}: {c['id']} detected as {got!r}, "
                                      f"expected {c['language']!r}{extra}")


def main() -> int:
    p = argparse.ArgumentParser(description="WER gates of tessera transcribe vs openai-whisper")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()

    missing = [m for m in args.models.split(",")
               if not os.path.isfile(os.path.join(ROOT, "models", m, "model.bin"))]
    if missing:
        print(f"SKIP: model folders missing: {missing} (scripts/fetch-model)")
        return SKIP
    ensure_normalizer_python()
    import textnorm
    import wer
    # The scorer itself: one substitution + one insertion; Mr./numbers normalized as openai-whisper does.
    selfcheck = [textnorm.score("a b c", "a x c d", "en") == (2, 3),
                 textnorm.score("MISTER QUILTER IN EIGHTEEN THIRTEEN", "Mr. Quilter, in 1813.", "en") == (0, 4),
                 textnorm.score("广州市", "广州 市。", "zh") == (0, 3)]
    if not all(selfcheck):
        print(f"FAIL scorer self-check {selfcheck}")
        return 1
    binary = wer.find_tessera()
    if binary is None:
        print("SKIP: no tessera binary with a `transcribe` command (set TESSERA_BIN)")
        return SKIP
    full = os.environ.get("TESSERA_FULL_GATES", "") not in ("", "0")
    print(f"tessera: {binary}; full gates: {'yes' if full else 'no (TESSERA_FULL_GATES=1 for all)'}")
    g = Gates(args.verbose)
    for model_name in args.models.split(","):
        try:
            gate_model(g, wer, binary, model_name, full)
        except (wer.EngineError, subprocess.TimeoutExpired, OSError, ValueError) as e:
            g.check(False, f"{model_name}: {e}")
    print(f"{len(g.failures)} failed, {len(g.skipped)} skipped")
    return 1 if g.failures else 0


if __name__ == "__main__":
    sys.exit(main())
