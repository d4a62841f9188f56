#!/usr/bin/python3
"""Writes a random-weight CTranslate2 Whisper model folder with the exact shapes of a released size.

    /usr/bin/python3 scripts/make_test_model.py OUT_DIR --size large-v3 [--layers 2]
        [--decoder-layers N] [--dtype float32|float16|bfloat16|int8] [--seed 0] [--zeros]

OUT_DIR gets model.bin (CTranslate2 binary version 6, variables sorted by name like the converter
writes them), config.json (alignment heads, language ids, suppress ids) and vocabulary.json (token
strings with Whisper's special tokens at their real ids; ordinary tokens are placeholders).
--layers sets encoder and decoder layer counts (default 2; "full" = the released count);
--decoder-layers overrides the decoder's. --zeros leaves the weight bytes as zeros without writing
them (a sparse file: instant, even for full-size large models). Needs numpy only.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

# name: (d_model, layers (enc, dec), heads, n_mels, n_vocab)
SIZES = {
    "tiny": (384, (4, 4), 6, 80, 51865),
    "base": (512, (6, 6), 8, 80, 51865),
    "small": (768, (12, 12), 12, 80, 51865),
    "medium": (1024, (24, 24), 16, 80, 51865),
    "large-v1": (1280, (32, 32), 20, 80, 51865),
    "large-v2": (1280, (32, 32), 20, 80, 51865),
    "large-v3": (1280, (32, 32), 20, 128, 51866),
    "large-v3-turbo": (1280, (32, 4), 20, 128, 51866),
}
for _base in ("tiny", "base", "small", "medium"):
    d, layers, heads, mels, _ = SIZES[_base]
    SIZES[_base + ".en"] = (d, layers, heads, mels, 51864)

LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th "
    "ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr "
    "pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt "
    "haw ln ha ba jw su yue"
).split()
assert len(LANGUAGES) == 100

DTYPE_IDS = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4, "bfloat16": 5}
N_AUDIO_CTX, N_TEXT_CTX = 1500, 448


def special_tokens(n_vocab):
    """Whisper's special tokens by id, for a vocabulary of n_vocab entries."""
    multilingual = n_vocab >= 51865
    n_lang = n_vocab - 51765 - (1 if multilingual else 0)
    eot = 50257 if multilingual else 50256
    tokens = {eot: "<|endoftext|>", eot + 1: "<|startoftranscript|>"}
    first_lang = eot + 2
    for i, code in enumerate(LANGUAGES[:n_lang]):
        tokens[first_lang + i] = "<|%s|>" % code
    tail = first_lang + n_lang
    names = ["translate", "transcribe", "startoflm", "startofprev",
             "nospeech" if multilingual else "nocaptions", "notimestamps"]
    for i, name in enumerate(names):
        tokens[tail + i] = "<|%s|>" % name
    first_ts = tail + len(names)
    for i in range(n_vocab - first_ts):
        tokens[first_ts + i] = "<|%.2f|>" % (i * 0.02)
    return tokens, eot, first_lang, n_lang


def sinusoids(length, channels):
    """Whisper's positional encoding (sin half then cos half)."""
    inc = np.log(10000) / (channels // 2 - 1)
    inv = np.exp(-inc * np.arange(channels // 2))
    t = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1).astype(np.float32)


def spec(d, n_mels, n_vocab, enc_layers, dec_layers):
    """Canonical (name, shape, kind) of every tensor; kind: weight, bias, gamma, beta, pos."""
    out = []

    def linear(p, o, i):
        out.append((p + "/weight", (o, i), "weight"))
        out.append((p + "/bias", (o,), "bias"))

    def norm(p):
        out.append((p + "/gamma", (d,), "gamma"))
        out.append((p + "/beta", (d,), "beta"))

    out.append(("encoder/conv1/weight", (d, n_mels, 3), "weight"))
    out.append(("encoder/conv1/bias", (d,), "bias"))
    out.append(("encoder/conv2/weight", (d, d, 3), "weight"))
    out.append(("encoder/conv2/bias", (d,), "bias"))
    out.append(("encoder/position_encodings/encodings", (N_AUDIO_CTX, d), "pos"))
    norm("encoder/layer_norm")
    for i in range(enc_layers):
        p = "encoder/layer_%d/" % i
        norm(p + "self_attention/layer_norm")
        linear(p + "self_attention/linear_0", 3 * d, d)
        linear(p + "self_attention/linear_1", d, d)
        norm(p + "ffn/layer_norm")
        linear(p + "ffn/linear_0", 4 * d, d)
        linear(p + "ffn/linear_1", d, 4 * d)
    out.append(("decoder/embeddings/weight", (n_vocab, d), "weight"))
    out.append(("decoder/position_encodings/encodings", (N_TEXT_CTX, d), "pos"))
    norm("decoder/layer_norm")
    for i in range(dec_layers):
        p = "decoder/layer_%d/" % i
        norm(p + "self_attention/layer_norm")
        linear(p + "self_attention/linear_0", 3 * d, d)
        linear(p + "self_attention/linear_1", d, d)
        norm(p + "attention/layer_norm")
        linear(p + "attention/linear_0", d, d)
        linear(p + "attention/linear_1", 2 * d, d)
        linear(p + "attention/linear_2", d, d)
        norm(p + "ffn/layer_norm")
        linear(p + "ffn/linear_0", 4 * d, d)
        linear(p + "ffn/linear_1", d, 4 * d)
    return out


def to_bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (NaN kept quiet)."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    r[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return r


def encode(value, dtype):
    """float32 array -> (dtype id, bytes) in the stored dtype."""
    if dtype == "float32":
        return DTYPE_IDS[dtype], value.astype("<f4").tobytes()
    if dtype == "float16":
        return DTYPE_IDS[dtype], value.astype("<f2").tobytes()
    if dtype == "bfloat16":
        return DTYPE_IDS[dtype], to_bf16_bits(value).astype("<u2").tobytes()
    raise ValueError(dtype)


def quantize_rows(w):
    """CTranslate2's int8: scale = 127 / max|row|, q = round(w * scale); real = q / scale."""
    rows = w.reshape(w.shape[0], -1)
    amax = np.abs(rows).max(axis=1)
    scale = np.where(amax > 0, 127.0 / np.maximum(amax, 1e-30), 1.0).astype(np.float32)
    q = np.clip(np.rint(rows * scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(w.shape), scale


class Ct2Writer:
    def __init__(self, f):
        self.f = f

    def string(self, s):
        b = s.encode() + b"\0"
        self.f.write(struct.pack("<H", len(b)) + b)

    def header(self, name, shape, dtype_id, num_bytes):
        self.string(name)
        self.f.write(struct.pack("<B", len(shape)))
        for dim in shape:
            self.f.write(struct.pack("<I", dim))
        self.f.write(struct.pack("<BI", dtype_id, num_bytes))


def item_size(dtype):
    return {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}[dtype]


def write_model_bin(path, variables, scalars, zeros):
    """variables: list of (name, shape, dtype, payload) where payload is bytes or None (zeros)."""
    entries = [(n, s, DTYPE_IDS[dt], p) for n, s, dt, p in variables]
    for name, (dt, value) in scalars.items():
        entries.append((name, (), DTYPE_IDS[dt], np.array(value, dtype=dt).astype(
            {"int8": "<i1", "int16": "<i2", "int32": "<i4"}[dt]).tobytes()))
    entries.sort(key=lambda e: e[0])
    with open(path, "wb") as f:
        w = Ct2Writer(f)
        f.write(struct.pack("<I", 6))
        w.string("WhisperSpec")
        f.write(struct.pack("<I", 3))
        f.write(struct.pack("<I", len(entries)))
        for name, shape, dtype_id, payload in entries:
            size = int(np.prod(shape, dtype=np.int64)) * [4, 1, 2, 4, 2, 2][dtype_id]
            w.header(name, shape, dtype_id, size)
            if payload is None:
                assert zeros
                f.seek(size, os.SEEK_CUR)  # a hole: reads back as zeros
            else:
                assert len(payload) == size, name
                f.write(payload)
        f.write(struct.pack("<I", 1))
        w.string("decoder/projection/weight")
        w.string("decoder/embeddings/weight")
        f.truncate(f.tell())


def build(out_dir, size, enc_layers, dec_layers, dtype, seed, zeros):
    d, _, heads, n_mels, n_vocab = SIZES[size]
    rng = np.random.default_rng(seed)
    variables = []
    float_dtype = "float32" if dtype == "int8" else dtype
    for name, shape, kind in spec(d, n_mels, n_vocab, enc_layers, dec_layers):
        quantized = dtype == "int8" and kind == "weight" and len(shape) == 2
        if zeros:
            if quantized:
                variables.append((name, shape, "int8", None))
                ones = np.ones(shape[0], dtype="<f4").tobytes()  # scale 1: real = 0
                variables.append((name + "_scale", (shape[0],), "float32", ones))
            else:
                variables.append((name, shape, float_dtype, None))
            continue
        if kind == "weight":
            fan_in = int(np.prod(shape[1:]))
            value = rng.standard_normal(shape, dtype=np.float32) / np.float32(np.sqrt(fan_in))
        elif kind == "bias":
            value = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
            if name.endswith("self_attention/linear_0/bias"):
                value[d:2 * d] = 0  # Whisper's key projection has no bias
            if name.endswith("attention/linear_1/bias") and "self_attention" not in name:
                value[:d] = 0
        elif kind == "gamma":
            value = 1 + rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)
        elif kind == "beta":
            value = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)
        else:
            value = sinusoids(*shape)
        if quantized:
            q, scale = quantize_rows(value)
            variables.append((name, shape, "int8", q.tobytes()))
            variables.append((name + "_scale", (shape[0],), "float32", scale.astype("<f4").tobytes()))
        else:
            _, payload = encode(value, float_dtype)
            variables.append((name, shape, float_dtype, payload))
    scalars = {
        "encoder/num_heads": ("int16", heads),
        "decoder/num_heads": ("int16", heads),
        "decoder/activation": ("int8", 3),
        "decoder/pre_norm": ("int8", 1),
        "decoder/alignment_layer": ("int16", -1),
        "decoder/alignment_heads": ("int16", 1),
        "decoder/scale_embeddings": ("int8", 0),
        "decoder/start_from_zero_embedding": ("int8", 0),
    }
    os.makedirs(out_dir, exist_ok=True)
    write_model_bin(os.path.join(out_dir, "model.bin"), variables, scalars, zeros)

    tokens, eot, first_lang, n_lang = special_tokens(n_vocab)
    vocab = [tokens.get(i, "tok%d" % i) for i in range(n_vocab)]
    with open(os.path.join(out_dir, "vocabulary.json"), "w") as f:
        json.dump(vocab, f)
    half = dec_layers // 2
    config = {
        "alignment_heads": [[layer, h] for layer in range(half, dec_layers) for h in range(heads)][:8],
        "lang_ids": list(range(first_lang, first_lang + n_lang)) if n_vocab >= 51865 else [],
        "suppress_ids": [1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31],
        "suppress_ids_begin": [220, eot],
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--size", default="tiny", choices=sorted(SIZES))
    ap.add_argument("--layers", default="2", help='encoder+decoder layers, or "full"')
    ap.add_argument("--decoder-layers", type=int, default=None)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16", "int8"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--zeros", action="store_true", help="sparse file of zero weights (fast)")
    a = ap.parse_args()
    full_enc, full_dec = SIZES[a.size][1]
    if a.layers == "full":
        enc, dec = full_enc, full_dec
    else:
        enc = dec = int(a.layers)
        if a.size == "large-v3-turbo":
            dec = min(dec, full_dec)
    if a.decoder_layers is not None:
        dec = a.decoder_layers
    if enc < 1 or dec < 1:
        sys.exit("need at least one encoder and one decoder layer")
    build(a.out_dir, a.size, enc, dec, a.dtype, a.seed, a.zeros)
    print("%s: %s, %d encoder + %d decoder layers, %s" % (a.out_dir, a.size, enc, dec, a.dtype))


if __name__ == "__main__":
    main()
