#!/usr/bin/env python3
"""Cross-check the float64 NumPy reference (tests/integration/reference) against openai-whisper.

Not part of CI: it needs PyTorch and openai-whisper. One-time set-up on Debian 12:
    apt-get install -y python3-torch
    /usr/bin/python3 -m venv --system-site-packages .venv-ow
    .venv-ow/bin/pip install --no-deps openai-whisper tiktoken more-itertools tqdm numba
    .venv-ow/bin/pip install llvmlite regex        # numba's and tiktoken's own dependencies
Run:
    .venv-ow/bin/python scripts/crosscheck_openai_whisper.py [--models base tiny.en] [--clips ...]

It loads the CTranslate2 weights of each model folder into whisper.model.Whisper under
openai-whisper's names, computes whisper.log_mel_spectrogram(pad_or_trim(audio)) and
model.encoder(mel) in float32 (as openai-whisper runs on CPU) and in float64, and compares
both with the reference. Exit status 1 if a figure is outside the documented bounds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
import whisper
from whisper.model import ModelDimensions, Whisper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from reference import ct2_reader, whisper_ref  # noqa: E402
from reference.compare import compare_frames  # noqa: E402

DEFAULT_CLIPS = ["jfk.wav", "1272-128104-0000.wav", "61-70968-0002.wav"]


def build_whisper(model: ct2_reader.Ct2Model) -> Whisper:
    """A Whisper module whose encoder holds the CT2 weights (decoder left random: unused)."""
    g = model.get
    d, n_mels, _ = g("encoder/conv1/weight").shape
    n_layers = 0
    while f"encoder/layer_{n_layers}/self_attention/linear_0/weight" in model:
        n_layers += 1
    vocab, text_state = g("decoder/embeddings/weight").shape
    n_text_layers = 0
    while f"decoder/layer_{n_text_layers}/self_attention/linear_0/weight" in model:
        n_text_layers += 1
    dims = ModelDimensions(
        n_mels=n_mels, n_audio_ctx=g("encoder/position_encodings/encodings").shape[0],
        n_audio_state=d, n_audio_head=model.scalar("encoder/num_heads"), n_audio_layer=n_layers,
        n_vocab=vocab, n_text_ctx=g("decoder/position_encodings/encodings").shape[0],
        n_text_state=text_state, n_text_head=model.scalar("decoder/num_heads"),
        n_text_layer=n_text_layers)
    net = Whisper(dims)

    def t(name, rows=None):
        arr = g(name)
        if rows is not None:
            arr = arr[rows]
        return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))

    state = {
        "encoder.conv1.weight": t("encoder/conv1/weight"),
        "encoder.conv1.bias": t("encoder/conv1/bias"),
        "encoder.conv2.weight": t("encoder/conv2/weight"),
        "encoder.conv2.bias": t("encoder/conv2/bias"),
        "encoder.positional_embedding": t("encoder/position_encodings/encodings"),
        "encoder.ln_post.weight": t("encoder/layer_norm/gamma"),
        "encoder.ln_post.bias": t("encoder/layer_norm/beta"),
    }
    q, k, v = slice(0, d), slice(d, 2 * d), slice(2 * d, 3 * d)
    for i in range(n_layers):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        qkv_bias = g(f"{src}/self_attention/linear_0/bias")
        if np.any(qkv_bias[k] != 0):
            print(f"warning: layer {i} has a non-zero key bias, which openai-whisper lacks")
        state.update({
            f"{dst}.attn.query.weight": t(f"{src}/self_attention/linear_0/weight", q),
            f"{dst}.attn.query.bias": t(f"{src}/self_attention/linear_0/bias", q),
            f"{dst}.attn.key.weight": t(f"{src}/self_attention/linear_0/weight", k),
            f"{dst}.attn.value.weight": t(f"{src}/self_attention/linear_0/weight", v),
            f"{dst}.attn.value.bias": t(f"{src}/self_attention/linear_0/bias", v),
            f"{dst}.attn.out.weight": t(f"{src}/self_attention/linear_1/weight"),
            f"{dst}.attn.out.bias": t(f"{src}/self_attention/linear_1/bias"),
            f"{dst}.attn_ln.weight": t(f"{src}/self_attention/layer_norm/gamma"),
            f"{dst}.attn_ln.bias": t(f"{src}/self_attention/layer_norm/beta"),
            f"{dst}.mlp.0.weight": t(f"{src}/ffn/linear_0/weight"),
            f"{dst}.mlp.0.bias": t(f"{src}/ffn/linear_0/bias"),
            f"{dst}.mlp.2.weight": t(f"{src}/ffn/linear_1/weight"),
            f"{dst}.mlp.2.bias": t(f"{src}/ffn/linear_1/bias"),
            f"{dst}.mlp_ln.weight": t(f"{src}/ffn/layer_norm/gamma"),
            f"{dst}.mlp_ln.bias": t(f"{src}/ffn/layer_norm/beta"),
        })
    own = net.state_dict()
    missing = [name for name in own if name.startswith("encoder.") and name not in state]
    if missing:
        raise SystemExit(f"encoder tensors not mapped: {missing}")
    for name, value in state.items():
        if own[name].shape != value.shape:
            raise SystemExit(f"{name}: openai-whisper wants {tuple(own[name].shape)}, "
                             f"got {tuple(value.shape)}")
    net.load_state_dict(state, strict=False)
    return net.eval()


def allow_float64() -> None:
    """Let a float64 copy of openai-whisper's encoder run in float64 throughout.

    openai-whisper casts LayerNorm inputs and attention scores to float32 (for fp16 GPU runs).
    For the float64 run, LayerNorm becomes torch's own and the one `qk = qk.float()` line of
    MultiHeadAttention.qkv_attention is dropped from openai-whisper's own source; nothing
    else changes, and float32 inputs behave exactly as before.
    """
    import inspect
    import textwrap

    whisper.model.LayerNorm.forward = torch.nn.LayerNorm.forward
    src = textwrap.dedent(inspect.getsource(whisper.model.MultiHeadAttention.qkv_attention))
    if "qk = qk.float()" not in src:
        raise SystemExit("openai-whisper's qkv_attention changed; update allow_float64()")
    src = src.replace("qk = qk.float()", "pass")
    namespace = dict(vars(whisper.model))
    exec(compile(src, whisper.model.__file__, "exec"), namespace)  # noqa: S102 (its own code)
    whisper.model.MultiHeadAttention.qkv_attention = namespace["qkv_attention"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    ap.add_argument("--clips", nargs="+", default=DEFAULT_CLIPS)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    allow_float64()
    filters_path = os.path.join(REPO, "assets", "mel_filters.npz")
    ok = True
    print(f"openai-whisper {whisper.__version__}, torch {torch.__version__}, numpy {np.__version__}")
    print(f"{'model':8} {'clip':22} {'mel max|d|':>10} {'whole max|d|':>12} "
          f"{'fp32 min cos':>13} {'fp32 max|d|':>11} {'fp32 rel':>9} "
          f"{'fp64 1-mincos':>13} {'fp64 max|d|':>11}")
    for name in args.models:
        model = ct2_reader.load(os.path.join(REPO, "models", name, "model.bin"))
        weights = whisper_ref.EncoderWeights(model)
        net = build_whisper(model)
        net64 = build_whisper(model).double()
        filters = whisper_ref.mel_filters(filters_path, weights.n_mels)
        for clip in args.clips:
            audio = whisper_ref.load_wav_16k_mono(os.path.join(REPO, "data", "audio", clip))
            ref_mel = whisper_ref.log_mel_window(audio, filters)
            audio32 = torch.from_numpy(audio.astype(np.float32))
            ow_mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio32), weights.n_mels)
            mel_diff = float(np.max(np.abs(ow_mel.numpy() - ref_mel)))
            whole_ref = whisper_ref.log_mel_whole(audio, filters)
            whole_ow = whisper.log_mel_spectrogram(audio32, weights.n_mels,
                                                   padding=whisper.audio.N_SAMPLES)
            whole_diff = float(np.max(np.abs(whole_ow.numpy() - whole_ref)))
            # Both encoders get the reference mel, so only the encoders are compared.
            t0 = time.time()
            ref = whisper_ref.encode(ref_mel, weights)
            t_ref = time.time() - t0
            with torch.no_grad():
                out32 = net.encoder(torch.from_numpy(ref_mel[None].astype(np.float32)))[0]
                out64 = net64.encoder(torch.from_numpy(ref_mel[None]))[0]
            s32 = compare_frames(out32.numpy(), ref)
            s64 = compare_frames(out64.numpy(), ref)
            print(f"{name:8} {clip:22} {mel_diff:10.2e} {whole_diff:12.2e} "
                  f"{s32.min_cosine:13.9f} {s32.max_abs:11.2e} {s32.rel_error:9.2e} "
                  f"{1.0 - s64.min_cosine:13.2e} {s64.max_abs:11.2e}   (numpy ref {t_ref:.1f} s)")
            ok &= mel_diff <= 1e-4 and whole_diff <= 1e-4
            ok &= s32.min_cosine >= 0.99999 and s32.max_abs <= 2e-3
            ok &= s64.min_cosine >= 1.0 - 1e-12 and s64.max_abs <= 1e-9
    print("crosscheck:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
