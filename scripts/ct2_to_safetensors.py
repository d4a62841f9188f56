#!/usr/bin/python3
"""Converts a CTranslate2 Whisper folder into a Hugging Face folder (model.safetensors + config.json).

    /usr/bin/python3 scripts/ct2_to_safetensors.py models/base OUT_DIR

Tensors get Hugging Face names (model.encoder.layers.0.self_attn.q_proj.weight, ...); CTranslate2's
fused q;k;v and k;v matrices are split again and the all-zero key bias is dropped, as in real HF
checkpoints. Float tensors keep their stored dtype (F32/F16/BF16); int8 weights are dequantized to
float32 (HF files have no int8). The tied output projection is not stored (HF ties it). Also
writes generation_config.json (alignment heads, suppress tokens) and copies the tokenizer files.
Exists to test tessera's safetensors loader on real weights. Needs numpy only.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

# CTranslate2 dtype id -> (numpy dtype of the raw bits, safetensors dtype, item size)
CT2_DTYPES = {0: ("<f4", "F32", 4), 1: ("<i1", "I8", 1), 2: ("<i2", "I16", 2),
              3: ("<i4", "I32", 4), 4: ("<f2", "F16", 2), 5: ("<u2", "BF16", 2)}


def read_ct2(path):
    """Returns ({name: (np array of raw values, safetensors dtype)}, {alias: target})."""
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("H")
        s = data[pos:pos + n - 1].decode()
        pos += n
        return s

    version = take("I")
    if not 1 <= version <= 6:
        sys.exit("%s: unsupported binary version %d" % (path, version))
    if version >= 2:
        string()
        take("I")
    tensors = {}
    for _ in range(take("I")):
        name = string()
        shape = [take("I") for _ in range(take("B"))]
        if version >= 4:
            dtype_id, nbytes = take("B"), take("I")
        else:
            item = take("B")
            dtype_id, nbytes = {4: 0, 2: 2, 1: 1}[item], item * take("I")
        np_dtype, st_dtype, _ = CT2_DTYPES[dtype_id]
        arr = np.frombuffer(data, dtype=np_dtype, count=nbytes // np.dtype(np_dtype).itemsize,
                            offset=pos).reshape(shape)
        pos += nbytes
        tensors[name] = (arr, st_dtype)
    aliases = {}
    if version >= 3:
        for _ in range(take("I")):
            alias = string()
            aliases[alias] = string()
    return tensors, aliases


def float_tensor(tensors, name):
    """(array, dtype) with int8 weights dequantized: real = q / scale."""
    arr, dt = tensors[name]
    if dt == "I8" and name + "_scale" in tensors:
        scale = tensors[name + "_scale"][0].astype(np.float32)
        rows = arr.reshape(arr.shape[0], -1).astype(np.float32) / scale.reshape(-1, 1)
        return rows.reshape(arr.shape), "F32"
    return arr, dt


def to_hf(tensors):
    """Canonical CTranslate2 names -> {hf name: (array, dtype)}."""
    out = {}

    def put(hf, ct2):
        out[hf] = float_tensor(tensors, ct2)

    def linear(hf, ct2):
        put(hf + ".weight", ct2 + "/weight")
        put(hf + ".bias", ct2 + "/bias")

    def norm(hf, ct2):
        put(hf + ".weight", ct2 + "/gamma")
        put(hf + ".bias", ct2 + "/beta")

    def split(hf_parts, ct2, keep_bias):
        w, wdt = float_tensor(tensors, ct2 + "/weight")
        b, bdt = float_tensor(tensors, ct2 + "/bias")
        n = len(hf_parts)
        rows = w.shape[0] // n
        for i, hf in enumerate(hf_parts):
            out[hf + ".weight"] = (np.ascontiguousarray(w[i * rows:(i + 1) * rows]), wdt)
            part = b[i * rows:(i + 1) * rows]
            if keep_bias[i]:
                out[hf + ".bias"] = (np.ascontiguousarray(part), bdt)
            elif np.any(part.astype(np.float32) != 0):
                sys.exit("%s/bias: the key part is not zero; HF Whisper has no key bias" % ct2)

    layers = lambda side: sorted({int(n.split("/")[1][6:]) for n in tensors
                                  if n.startswith(side + "/layer_") and n.count("/") > 2})
    e, d = "model.encoder.", "model.decoder."
    linear(e + "conv1", "encoder/conv1")
    linear(e + "conv2", "encoder/conv2")
    put(e + "embed_positions.weight", "encoder/position_encodings/encodings")
    norm(e + "layer_norm", "encoder/layer_norm")
    for i in layers("encoder"):
        h, c = e + "layers.%d." % i, "encoder/layer_%d/" % i
        norm(h + "self_attn_layer_norm", c + "self_attention/layer_norm")
        split([h + "self_attn.q_proj", h + "self_attn.k_proj", h + "self_attn.v_proj"],
              c + "self_attention/linear_0", [True, False, True])
        linear(h + "self_attn.out_proj", c + "self_attention/linear_1")
        norm(h + "final_layer_norm", c + "ffn/layer_norm")
        linear(h + "fc1", c + "ffn/linear_0")
        linear(h + "fc2", c + "ffn/linear_1")
    put(d + "embed_tokens.weight", "decoder/embeddings/weight")
    put(d + "embed_positions.weight", "decoder/position_encodings/encodings")
    norm(d + "layer_norm", "decoder/layer_norm")
    for i in layers("decoder"):
        h, c = d + "layers.%d." % i, "decoder/layer_%d/" % i
        norm(h + "self_attn_layer_norm", c + "self_attention/layer_norm")
        split([h + "self_attn.q_proj", h + "self_attn.k_proj", h + "self_attn.v_proj"],
              c + "self_attention/linear_0", [True, False, True])
        linear(h + "self_attn.out_proj", c + "self_attention/linear_1")
        norm(h + "encoder_attn_layer_norm", c + "attention/layer_norm")
        linear(h + "encoder_attn.q_proj", c + "attention/linear_0")
        split([h + "encoder_attn.k_proj", h + "encoder_attn.v_proj"], c + "attention/linear_1",
              [False, True])
        linear(h + "encoder_attn.out_proj", c + "attention/linear_2")
        norm(h + "final_layer_norm", c + "ffn/layer_norm")
        linear(h + "fc1", c + "ffn/linear_0")
        linear(h + "fc2", c + "ffn/linear_1")
    return out, len(layers("encoder")), len(layers("decoder"))


def write_safetensors(path, tensors):
    header, offset, order = {}, 0, sorted(tensors)
    for name in order:
        arr, dt = tensors[name]
        n = arr.nbytes
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt", "converted_by": "tessera ct2_to_safetensors.py"}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # keep the data block 8-byte aligned, as safetensors does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for name in order:
            arr, dt = tensors[name]
            f.write(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    tensors, _ = read_ct2(os.path.join(src, "model.bin"))
    hf, enc_layers, dec_layers = to_hf(tensors)
    ct2_config = {}
    if os.path.exists(os.path.join(src, "config.json")):
        ct2_config = json.load(open(os.path.join(src, "config.json")))
    n_vocab, d = tensors["decoder/embeddings/weight"][0].shape
    n_mels = tensors["encoder/conv1/weight"][0].shape[1]
    enc_heads = int(tensors["encoder/num_heads"][0])
    dec_heads = int(tensors["decoder/num_heads"][0])
    ffn = tensors["encoder/layer_0/ffn/linear_0/weight"][0].shape[0]
    dtypes = {dt for _, dt in hf.values()}
    os.makedirs(dst, exist_ok=True)
    write_safetensors(os.path.join(dst, "model.safetensors"), hf)
    multilingual = n_vocab >= 51865
    eot = 50257 if multilingual else 50256
    config = {
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        "d_model": int(d),
        "encoder_layers": enc_layers,
        "decoder_layers": dec_layers,
        "encoder_attention_heads": enc_heads,
        "decoder_attention_heads": dec_heads,
        "encoder_ffn_dim": int(ffn),
        "decoder_ffn_dim": int(ffn),
        "num_mel_bins": int(n_mels),
        "vocab_size": int(n_vocab),
        "max_source_positions": int(tensors["encoder/position_encodings/encodings"][0].shape[0]),
        "max_target_positions": int(tensors["decoder/position_encodings/encodings"][0].shape[0]),
        "activation_function": "gelu",
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "bos_token_id": eot,
        "eos_token_id": eot,
        "pad_token_id": eot,
        "decoder_start_token_id": eot + 1,
        "suppress_tokens": ct2_config.get("suppress_ids", []),
        "begin_suppress_tokens": ct2_config.get("suppress_ids_begin", []),
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}.get(
            max(dtypes), "float32"),
    }
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    generation = {
        "alignment_heads": ct2_config.get("alignment_heads", []),
        "suppress_tokens": config["suppress_tokens"],
        "begin_suppress_tokens": config["begin_suppress_tokens"],
        "is_multilingual": multilingual,
    }
    with open(os.path.join(dst, "generation_config.json"), "w") as f:
        json.dump(generation, f, indent=2)
    for name in ("tokenizer.json", "vocabulary.json", "vocabulary.txt"):
        if os.path.exists(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), os.path.join(dst, name))
    print("%s -> %s: %d tensors" % (src, dst, len(hf)))


if __name__ == "__main__":
    main()
