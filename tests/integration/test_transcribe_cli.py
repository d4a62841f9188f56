#!/usr/bin/env python3
"""`tessera transcribe` end to end: output files and their shapes, errors, long-form audio.

- jfk.wav with models/base (language detected) written in all five formats; json/srt/vtt/tsv parsed
  and checked against each other: same segments, monotonic times inside the audio. Without -o the
  txt goes to stdout.
- A corrupt file next to a good one: the good one is still transcribed, the corrupt one is named on
  stderr, the exit status is non-zero.
- gb0.wav (127 s) with models/tiny.en, sequential and batched: segment times monotonic and inside
  the audio, no segment text repeated (so no text decoded twice across window boundaries), word
  error rate against the official text under 10%.
- An hour of digital silence (batched and sequential): no text, and quickly (windows that are all
  digital silence are skipped without running the model).

Env: TESSERA_BIN (the tessera binary), TESSERA_SOURCE_DIR (repo root). Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave

SRC = os.environ.get("TESSERA_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BIN = os.environ.get("TESSERA_BIN", os.path.join(SRC, "build", "tessera"))
BASE = os.path.join(SRC, "models", "base")
TINY = os.path.join(SRC, "models", "tiny.en")
JFK = os.path.join(SRC, "data", "audio", "jfk.wav")
GB0 = os.path.join(SRC, "data", "audio", "gb0.wav")
THREADS = ["--threads", "2"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def run(args, timeout=900):
    t0 = time.time()
    p = subprocess.run([BIN, "transcribe", *args], capture_output=True, text=True, timeout=timeout)
    return p, time.time() - t0


def wav_seconds(path):
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()


def parse_clock(text, decimal):
    m = re.fullmatch(r"(?:(\d+):)?(\d\d):(\d\d)" + re.escape(decimal) + r"(\d\d\d)", text)
    assert m, text
    h = int(m.group(1) or 0)
    return h * 3600 + int(m.group(2)) * 60 + int(m.group(3)) + int(m.group(4)) / 1000


def parse_srt(text):
    cues = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        assert lines[0].isdigit(), block
        a, b = lines[1].split(" --> ")
        cues.append((int(lines[0]), parse_clock(a, ","), parse_clock(b, ","), "\n".join(lines[2:])))
    return cues


def parse_vtt(text):
    assert text.startswith("WEBVTT\n\n"), text[:20]
    cues = []
    for block in text[len("WEBVTT\n\n"):].strip().split("\n\n"):
        lines = block.split("\n")
        a, b = lines[0].split(" --> ")
        cues.append((parse_clock(a, "."), parse_clock(b, "."), "\n".join(lines[1:])))
    return cues


def parse_tsv(text):
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "start\tend\ttext", lines[0]
    rows = []
    for line in lines[1:]:
        a, b, t = line.split("\t")
        rows.append((int(a), int(b), t))
    return rows


def check_times(segments, duration, label):
    prev_end = 0.0
    for s in segments:
        check(0 <= s["start"] <= s["end"] <= duration + 1e-6,
              f"{label}: segment {s['id']} [{s['start']}, {s['end']}] outside [0, {duration}]")
        check(s["start"] >= prev_end - 1e-6,
              f"{label}: segment {s['id']} starts at {s['start']} before the previous end {prev_end}")
        prev_end = s["end"]


def check_no_repeats(segments, label):
    texts = [s["text"].strip() for s in segments if s["text"].strip()]
    for a, b in zip(texts, texts[1:]):
        check(a != b, f"{label}: consecutive segments with the same text {a!r}")
    seen = set()
    for t in texts:
        check(t not in seen, f"{label}: segment text repeated: {t!r}")
        seen.add(t)


def words(text):
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(ref, hyp):
    r, h = words(ref), words(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))


def test_jfk_all_formats(tmp):
    out = os.path.join(tmp, "jfk_out")
    p, secs = run(["-m", BASE, JFK, "-f", "all", "-o", out, *THREADS])
    print(f"jfk base, all formats: {secs:.1f} s")
    if not check(p.returncode == 0, f"jfk base: exit {p.returncode}: {p.stderr}"):
        return
    check("realtime" in p.stderr, f"no summary line on stderr: {p.stderr!r}")
    check(p.stdout == "", "with -o nothing goes to stdout")
    paths = {ext: os.path.join(out, "jfk." + ext) for ext in ["txt", "vtt", "srt", "tsv", "json"]}
    for ext, path in paths.items():
        check(os.path.exists(path), f"{path} not written")
    result = json.load(open(paths["json"], encoding="utf-8"))
    check(set(result) == {"text", "segments", "language"}, f"json keys {sorted(result)}")
    check(result["language"] == "en", f"detected language {result['language']}")
    text = result["text"].lower()
    check("ask not what your country can do for you" in text, f"jfk text: {result['text']!r}")
    print("jfk (base):", result["text"])
    segs = result["segments"]
    check(len(segs) >= 1, "no segments")
    keys = {"id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
            "compression_ratio", "no_speech_prob"}
    for i, s in enumerate(segs):
        check(keys <= set(s), f"segment keys {sorted(s)}")
        check(s["id"] == i, f"segment id {s['id']} at {i}")
        check(all(isinstance(t, int) for t in s["tokens"]), "tokens are ints")
    check_times(segs, wav_seconds(JFK), "jfk")

    srt = parse_srt(open(paths["srt"], encoding="utf-8").read())
    vtt = parse_vtt(open(paths["vtt"], encoding="utf-8").read())
    tsv = parse_tsv(open(paths["tsv"], encoding="utf-8").read())
    txt = open(paths["txt"], encoding="utf-8").read()
    check(len(srt) == len(vtt) == len(tsv) == len(segs), "srt/vtt/tsv/json segment counts differ")
    for k, (s, c, v, t) in enumerate(zip(segs, srt, vtt, tsv)):
        check(c[0] == k + 1, f"srt index {c[0]}")
        check(abs(c[1] - s["start"]) < 0.0015 and abs(c[2] - s["end"]) < 0.0015, f"srt times {c}")
        check(abs(v[0] - s["start"]) < 0.0015 and abs(v[1] - s["end"]) < 0.0015, f"vtt times {v}")
        check(abs(t[0] - s["start"] * 1000) <= 1 and abs(t[1] - s["end"] * 1000) <= 1,
              f"tsv times {t}")
        check(c[3] == s["text"].strip().replace("-->", "->"), f"srt text {c[3]!r}")
    check(txt == "".join(s["text"].strip() + "\n" for s in segs), f"txt {txt!r}")

    p2, _ = run(["-m", BASE, JFK, *THREADS])
    check(p2.returncode == 0 and p2.stdout == txt, f"stdout txt differs: {p2.stdout!r}")


def test_corrupt_file(tmp):
    bad = os.path.join(tmp, "corrupt_clip.mp3")
    with open(bad, "wb") as f:
        f.write(b"ID3\x03\x00\x00\x00\x00\x00\x00" + os.urandom(3000))
    out = os.path.join(tmp, "corrupt_out")
    p, secs = run(["-m", TINY, bad, JFK, "-o", out, "-f", "txt", "--beam-size", "1", *THREADS])
    print(f"corrupt + jfk: {secs:.1f} s, exit {p.returncode}")
    check(p.returncode != 0, "corrupt file: exit status 0")
    check("corrupt_clip.mp3" in p.stderr, f"corrupt file not named: {p.stderr!r}")
    check(os.path.exists(os.path.join(out, "jfk.txt")), "the good file was not transcribed")
    p, _ = run(["-m", TINY, os.path.join(tmp, "missing.wav"), *THREADS])
    check(p.returncode != 0 and "missing.wav" in p.stderr, f"missing file: {p.stderr!r}")
    p, _ = run(["-m", TINY, JFK, "-f", "docx"])
    check(p.returncode != 0 and "docx" in p.stderr, f"bad format: {p.stderr!r}")


def test_gb0(tmp, batched):
    label = "gb0 batched" if batched else "gb0 sequential"
    out = os.path.join(tmp, "gb0_batched" if batched else "gb0_seq")
    mode = ["--batched", "--batch-size", "4"] if batched else []
    p, secs = run(["-m", TINY, GB0, "-f", "json", "-o", out, "--beam-size", "1", *mode, *THREADS])
    print(f"{label}: {secs:.1f} s; {p.stderr.strip().splitlines()[0] if p.stderr else ''}")
    if not check(p.returncode == 0, f"{label}: exit {p.returncode}: {p.stderr}"):
        return
    result = json.load(open(os.path.join(out, "gb0.json"), encoding="utf-8"))
    segs = result["segments"]
    check(len(segs) >= 10, f"{label}: only {len(segs)} segments")
    check_times(segs, wav_seconds(GB0), label)
    check_no_repeats(segs, label)
    refs = json.load(open(os.path.join(SRC, "data", "references.json"), encoding="utf-8"))
    ref = next(r["reference"] for r in refs if any("gb0" in f for f in r["files"]))
    w = wer(ref, result["text"])
    print(f"{label}: WER {100 * w:.1f}%: {result['text']}")
    check(w < 0.10, f"{label}: WER {100 * w:.1f}% against the official text")


def test_hour_of_silence(tmp):
    path = os.path.join(tmp, "silence_1h.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        chunk = b"\x00\x00" * 16000 * 60
        for _ in range(60):
            w.writeframes(chunk)
    for mode in (["--batched", "--batch-size", "8"], []):
        p, secs = run(["-m", TINY, path, "-f", "json", "-o", tmp, "--beam-size", "1", *mode,
                       *THREADS])
        label = "1 h silence " + ("batched" if mode else "sequential")
        print(f"{label}: {secs:.1f} s")
        if not check(p.returncode == 0, f"{label}: exit {p.returncode}: {p.stderr}"):
            continue
        result = json.load(open(os.path.join(tmp, "silence_1h.json"), encoding="utf-8"))
        check(result["text"] == "" and not any(s["text"] for s in result["segments"]),
              f"{label}: text from silence: {result['text'][:200]!r}")
        check(secs < 300, f"{label}: {secs:.0f} s")
    os.remove(path)


def main():
    if not os.path.exists(BIN):
        print("tessera binary not found:", BIN)
        return 77
    if not (os.path.exists(os.path.join(BASE, "model.bin")) and
            os.path.exists(os.path.join(TINY, "model.bin"))):
        print("models/base or models/tiny.en not fetched (scripts/fetch-model): skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        test_jfk_all_formats(tmp)
        test_corrupt_file(tmp)
        test_gb0(tmp, batched=False)
        test_gb0(tmp, batched=True)
        if os.environ.get("TESSERA_SKIP_SLOW") != "1":
            test_hour_of_silence(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
