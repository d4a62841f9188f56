"""Checks of the reference itself on small inputs with known answers (well under a second).

Run by test_encoder_reference.py before anything else, or alone:
    /usr/bin/python3 -m reference.selftest        (from tests/integration)
The end-to-end proof (against openai-whisper in float64) is scripts/crosscheck_openai_whisper.py.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import tempfile

import numpy as np

from . import ct2_reader, whisper_ref

_DTYPE_IDS = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4, "bfloat16": 5}


def _string(s: str) -> bytes:
    raw = s.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_ct2(variables: list[tuple[str, str, tuple, bytes]], aliases=()) -> bytes:
    """A version-6 model.bin from (name, dtype, shape, data) tuples."""
    out = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<I", 3)
    out += struct.pack("<I", len(variables))
    for name, dtype, shape, data in variables:
        out += _string(name) + struct.pack("<B", len(shape))
        out += b"".join(struct.pack("<I", d) for d in shape)
        out += struct.pack("<BI", _DTYPE_IDS[dtype], len(data)) + data
    out += struct.pack("<I", len(aliases))
    for alias, target in aliases:
        out += _string(alias) + _string(target)
    return out


def _parse(blob: bytes) -> ct2_reader.Ct2Model:
    fd, path = tempfile.mkstemp(suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        return ct2_reader.load(path)
    finally:
        os.unlink(path)


def check_ct2_reader(fail):
    w16 = np.array([[1.5, -2.25], [0.125, 65504.0]], dtype="<f2")
    q = np.array([[10, -20], [127, -128]], dtype="i1")
    scale = np.array([4.0, 0.5], dtype="<f4")
    bf = np.array([1.0, -3.5, 1e-3], dtype=np.float32)
    bf_bits = (bf.view(np.uint32) >> 16).astype("<u2")
    good = write_ct2([
        ("a/weight", "float16", (2, 2), w16.tobytes()),
        ("b/weight", "int8", (2, 2), q.tobytes()),
        ("b/weight_scale", "float32", (2,), scale.tobytes()),
        ("c", "bfloat16", (3,), bf_bits.tobytes()),
        ("heads", "int16", (), struct.pack("<h", 6)),
    ], aliases=[("d/weight", "a/weight")])
    m = _parse(good)
    if not np.array_equal(m.get("a/weight"), w16.astype(np.float64)):
        fail("ct2_reader: float16 values")
    if not np.array_equal(m.get("b/weight"), q / scale[:, None].astype(np.float64)):
        fail("ct2_reader: int8 dequantization (q / per-row scale)")
    if not np.array_equal(m.get("c"), (bf_bits.astype(np.uint32) << 16).view(np.float32)):
        fail("ct2_reader: bfloat16 values")
    if m.scalar("heads") != 6 or not np.array_equal(m.get("d/weight"), m.get("a/weight")):
        fail("ct2_reader: int16 scalar or alias")
    # Every truncation and a few corrupted fields must raise Ct2FormatError, never crash.
    for cut in range(0, len(good) - 1, 3):
        try:
            _parse(good[:cut])
            fail(f"ct2_reader: accepted a file cut at {cut} of {len(good)} bytes")
        except ct2_reader.Ct2FormatError:
            pass
    name_end = len(struct.pack("<I", 6) + _string("WhisperSpec")) + 8 + len(_string("a/weight"))
    rank_pos = name_end
    dtype_pos = rank_pos + 1 + 8
    corrupt = {
        "dtype id 9": (dtype_pos, b"\x09"),
        "num_bytes + 1": (dtype_pos + 1, struct.pack("<I", 9)),
        "rank 200": (rank_pos, b"\xc8"),
        "huge dim": (rank_pos + 1, struct.pack("<I", 0xFFFFFFFF)),
    }
    for what, (pos, patch) in corrupt.items():
        bad = good[:pos] + patch + good[pos + len(patch):]
        try:
            _parse(bad)
            fail(f"ct2_reader: accepted {what}")
        except ct2_reader.Ct2FormatError:
            pass


def check_math(fail):
    for x, want in [(0.5, 0.5204998778130465), (1.0, 0.8427007929497149),
                    (-2.0, -0.9953222650189527), (0.0, 0.0)]:
        if abs(whisper_ref.erf(np.array([x]))[0] - want) > 1e-15:
            fail(f"erf({x})")
    if abs(whisper_ref.gelu(np.array([1.0]))[0] - 0.8413447460685429) > 1e-15:
        fail("gelu(1)")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 9))
    w = rng.standard_normal((4, 5, 3))
    b = rng.standard_normal(4)
    for stride in (1, 2):
        got = whisper_ref.conv1d(x, w, b, stride)
        xp = np.pad(x, ((0, 0), (1, 1)))
        t_out = (9 - 1) // stride + 1
        want = np.array([[b[o] + sum(w[o, c, k] * xp[c, stride * t + k]
                                     for c in range(5) for k in range(3))
                          for o in range(4)] for t in range(t_out)])
        if got.shape != want.shape or np.max(np.abs(got - want)) > 1e-12:
            fail(f"conv1d stride {stride}")
    # Attention against a direct per-head formula.
    t, d, heads = 7, 8, 2
    xa = rng.standard_normal((t, d))
    wqkv, bqkv = rng.standard_normal((3 * d, d)), rng.standard_normal(3 * d)
    wo, bo = rng.standard_normal((d, d)), rng.standard_normal(d)
    got = whisper_ref.self_attention(xa, wqkv, bqkv, wo, bo, heads)
    q, k, v = np.split(xa @ wqkv.T + bqkv, 3, axis=1)
    ctx = []
    for h in range(heads):
        s = q[:, h * 4:(h + 1) * 4] @ k[:, h * 4:(h + 1) * 4].T / 2.0
        p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        ctx.append(p @ v[:, h * 4:(h + 1) * 4])
    if np.max(np.abs(got - (np.hstack(ctx) @ wo.T + bo))) > 1e-12:
        fail("self_attention")
    ln = whisper_ref.layer_norm(xa, np.ones(d), np.zeros(d))
    if np.max(np.abs(ln.mean(axis=1))) > 1e-12 or np.max(np.abs(ln.var(axis=1) - 1)) > 1e-4:
        fail("layer_norm")


def check_stft(fail):
    rng = np.random.default_rng(2)
    audio = rng.standard_normal(1600)
    got = whisper_ref.stft_power(audio)
    if got.shape != (201, 10):
        fail(f"stft_power shape {got.shape}")
        return
    padded = np.concatenate([audio[200:0:-1], audio, audio[-2:-202:-1]])  # reflect
    win = 0.5 - 0.5 * np.cos(2 * math.pi * np.arange(400) / 400)
    n = np.arange(400)
    for frame in (0, 5, 9):
        seg = padded[frame * 160:frame * 160 + 400] * win
        for f in (0, 1, 57, 200):
            c = np.sum(seg * np.exp(-2j * math.pi * f * n / 400))
            if abs(abs(c) ** 2 - got[f, frame]) > 1e-9 * max(1.0, abs(c) ** 2):
                fail(f"stft_power frame {frame} bin {f}")
    if whisper_ref.pad_or_trim(np.ones(5), 3).size != 3 or whisper_ref.pad_or_trim(
            np.ones(2), 4).tolist() != [1, 1, 0, 0]:
        fail("pad_or_trim")


def run() -> list[str]:
    failures: list[str] = []
    for check in (check_ct2_reader, check_math, check_stft):
        try:
            check(failures.append)
        except Exception as e:  # a crash in a check is a failure of the reference
            failures.append(f"{check.__name__} raised {type(e).__name__}: {e}")
    return failures


if __name__ == "__main__":
    problems = run()
    print("reference selftest:", "PASS" if not problems else "FAIL\n  " + "\n  ".join(problems))
    sys.exit(1 if problems else 0)
