"""openai-whisper's Whisper module holding a CTranslate2 model folder's weights (encoder and decoder).

Used by the benchmarks and fixture generators that run openai-whisper as the independent reference on
the very weights tessera runs. Needs PyTorch and openai-whisper (see scripts/setup-openai-whisper).
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
from whisper.model import ModelDimensions, Whisper

from . import ct2_reader


def _count(model, prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/self_attention/linear_0/weight" in model:
        n += 1
    return n


def dimensions(model: ct2_reader.Ct2Model) -> ModelDimensions:
    g = model.get
    d, n_mels, _ = g("encoder/conv1/weight").shape
    vocab, text_state = g("decoder/embeddings/weight").shape
    return ModelDimensions(
        n_mels=n_mels, n_audio_ctx=g("encoder/position_encodings/encodings").shape[0],
        n_audio_state=d, n_audio_head=model.scalar("encoder/num_heads"),
        n_audio_layer=_count(model, "encoder"), n_vocab=vocab,
        n_text_ctx=g("decoder/position_encodings/encodings").shape[0], n_text_state=text_state,
        n_text_head=model.scalar("decoder/num_heads"), n_text_layer=_count(model, "decoder"))


def _attention(t, src: str, dst: str, d: int, fused_kv: bool) -> dict:
    """Maps a CT2 attention block to openai-whisper's query/key/value/out (key has no bias)."""
    q, k, v = slice(0, d), slice(d, 2 * d), slice(2 * d, 3 * d)
    if fused_kv:  # cross-attention: linear_0 = q, linear_1 = k;v, linear_2 = out
        return {
            f"{dst}.query.weight": t(f"{src}/linear_0/weight"),
            f"{dst}.query.bias": t(f"{src}/linear_0/bias"),
            f"{dst}.key.weight": t(f"{src}/linear_1/weight", slice(0, d)),
            f"{dst}.value.weight": t(f"{src}/linear_1/weight", slice(d, 2 * d)),
            f"{dst}.value.bias": t(f"{src}/linear_1/bias", slice(d, 2 * d)),
            f"{dst}.out.weight": t(f"{src}/linear_2/weight"),
            f"{dst}.out.bias": t(f"{src}/linear_2/bias"),
        }
    return {
        f"{dst}.query.weight": t(f"{src}/linear_0/weight", q),
        f"{dst}.query.bias": t(f"{src}/linear_0/bias", q),
        f"{dst}.key.weight": t(f"{src}/linear_0/weight", k),
        f"{dst}.value.weight": t(f"{src}/linear_0/weight", v),
        f"{dst}.value.bias": t(f"{src}/linear_0/bias", v),
        f"{dst}.out.weight": t(f"{src}/linear_1/weight"),
        f"{dst}.out.bias": t(f"{src}/linear_1/bias"),
    }


def _block(t, src: str, dst: str, d: int, cross: bool) -> dict:
    s = _attention(t, f"{src}/self_attention", f"{dst}.attn", d, fused_kv=False)
    s.update({
        f"{dst}.attn_ln.weight": t(f"{src}/self_attention/layer_norm/gamma"),
        f"{dst}.attn_ln.bias": t(f"{src}/self_attention/layer_norm/beta"),
        f"{dst}.mlp.0.weight": t(f"{src}/ffn/linear_0/weight"),
        f"{dst}.mlp.0.bias": t(f"{src}/ffn/linear_0/bias"),
        f"{dst}.mlp.2.weight": t(f"{src}/ffn/linear_1/weight"),
        f"{dst}.mlp.2.bias": t(f"{src}/ffn/linear_1/bias"),
        f"{dst}.mlp_ln.weight": t(f"{src}/ffn/layer_norm/gamma"),
        f"{dst}.mlp_ln.bias": t(f"{src}/ffn/layer_norm/beta"),
    })
    if cross:
        s.update(_attention(t, f"{src}/attention", f"{dst}.cross_attn", d, fused_kv=True))
        s.update({
            f"{dst}.cross_attn_ln.weight": t(f"{src}/attention/layer_norm/gamma"),
            f"{dst}.cross_attn_ln.bias": t(f"{src}/attention/layer_norm/beta"),
        })
    return s


def load(model_dir: str) -> Whisper:
    """The whole openai-whisper model (fp32, eval mode) with the folder's CT2 weights."""
    model = ct2_reader.load(os.path.join(model_dir, "model.bin"))
    dims = dimensions(model)
    net = Whisper(dims)

    def t(name, rows=None):
        arr = model.get(name)
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
        "decoder.token_embedding.weight": t("decoder/embeddings/weight"),
        "decoder.positional_embedding": t("decoder/position_encodings/encodings"),
        "decoder.ln.weight": t("decoder/layer_norm/gamma"),
        "decoder.ln.bias": t("decoder/layer_norm/beta"),
    }
    for i in range(dims.n_audio_layer):
        state.update(_block(t, f"encoder/layer_{i}", f"encoder.blocks.{i}", dims.n_audio_state, False))
    for i in range(dims.n_text_layer):
        state.update(_block(t, f"decoder/layer_{i}", f"decoder.blocks.{i}", dims.n_text_state, True))

    own = net.state_dict()
    missing = [n for n in own if n not in state and n != "alignment_heads"]
    if missing:
        raise ValueError(f"{model_dir}: tensors not mapped: {missing[:5]}...")
    for name, value in state.items():
        if own[name].shape != value.shape:
            raise ValueError(f"{name}: openai-whisper wants {tuple(own[name].shape)}, got {tuple(value.shape)}")
    net.load_state_dict(state, strict=False)
    config = os.path.join(model_dir, "config.json")
    if os.path.exists(config):
        heads = json.load(open(config)).get("alignment_heads")
        if heads:
            mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            net.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return net.eval()
