#!/usr/bin/env python3
"""tessera's decoding against openai-whisper's on the same weights (greedy and beam search).

Needs PyTorch and openai-whisper (the .venv-ow virtual environment, see
scripts/crosscheck_openai_whisper.py); exits 77 (skipped) without them. It loads each model
folder's CTranslate2 weights into whisper.model.Whisper, decodes the 16 kHz clips of data/audio
with whisper.decode (fp32, temperature 0: greedy, then beam_size=5) and writes what it got as JSON.
Then it runs tessera_tests' DecoderReference tests on that JSON, which decode the same clips with
tessera and compare tokens.

    .venv-ow/bin/python tests/integration/test_decoder_reference.py [--write-fixture]

--write-fixture also stores the JSON as tests/decoder/data/openai_whisper_decodes.json, the
fixture DecoderReference uses when this script does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import wave

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_PYTHON = os.path.join(REPO, ".venv-ow", "bin", "python")
FIXTURE = os.path.join(REPO, "tests", "decoder", "data", "openai_whisper_decodes.json")
SKIP = 77


def reexec_in_venv() -> None:
    """Run again under .venv-ow's python when this interpreter lacks torch/whisper."""
    try:
        import torch  # noqa: F401
        import whisper  # noqa: F401
        return
    except ImportError:
        pass
    # The venv's python is a symlink to the system one, so compare prefixes, not executables.
    venv = os.path.dirname(os.path.dirname(VENV_PYTHON))
    if os.path.exists(VENV_PYTHON) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    print("skipped: PyTorch/openai-whisper not available (.venv-ow missing)")
    sys.exit(SKIP)


def load_wav_16k(path: str):
    """16 kHz 16-bit WAV -> mono float32, channels averaged (as tessera and ffmpeg -ac 1 do)."""
    import numpy as np

    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getsampwidth() != 2:
            return None
        ch = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return data.reshape(-1, ch).mean(axis=1).astype(np.float32)


def build_whisper(folder: str):
    """whisper.model.Whisper holding a CTranslate2 model folder's weights (encoder and decoder)."""
    import numpy as np
    import torch
    from whisper.model import ModelDimensions, Whisper

    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    from reference import ct2_reader

    m = ct2_reader.load(os.path.join(folder, "model.bin"))
    g = m.get

    def count(prefix: str) -> int:
        n = 0
        while f"{prefix}/layer_{n}/self_attention/linear_0/weight" in m:
            n += 1
        return n

    d, n_mels, _ = g("encoder/conv1/weight").shape
    vocab, text_d = g("decoder/embeddings/weight").shape
    dims = ModelDimensions(
        n_mels=n_mels, n_audio_ctx=g("encoder/position_encodings/encodings").shape[0],
        n_audio_state=d, n_audio_head=m.scalar("encoder/num_heads"), n_audio_layer=count("encoder"),
        n_vocab=vocab, n_text_ctx=g("decoder/position_encodings/encodings").shape[0],
        n_text_state=text_d, n_text_head=m.scalar("decoder/num_heads"),
        n_text_layer=count("decoder"))
    net = Whisper(dims)

    def t(name, rows=None):
        arr = g(name)
        if rows is not None:
            arr = arr[rows]
        return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))

    def linear(dst, src, rows=None, bias=True):
        out = {f"{dst}.weight": t(f"{src}/weight", rows)}
        if bias:
            out[f"{dst}.bias"] = t(f"{src}/bias", rows)
        return out

    def norm(dst, src):
        return {f"{dst}.weight": t(f"{src}/gamma"), f"{dst}.bias": t(f"{src}/beta")}

    state = {
        "encoder.conv1.weight": t("encoder/conv1/weight"), "encoder.conv1.bias": t("encoder/conv1/bias"),
        "encoder.conv2.weight": t("encoder/conv2/weight"), "encoder.conv2.bias": t("encoder/conv2/bias"),
        "encoder.positional_embedding": t("encoder/position_encodings/encodings"),
        "decoder.token_embedding.weight": t("decoder/embeddings/weight"),
        "decoder.positional_embedding": t("decoder/position_encodings/encodings"),
    }
    state.update(norm("encoder.ln_post", "encoder/layer_norm"))
    state.update(norm("decoder.ln", "decoder/layer_norm"))
    for side, w in (("encoder", d), ("decoder", text_d)):
        q, k, v = slice(0, w), slice(w, 2 * w), slice(2 * w, 3 * w)
        for i in range(count(side)):
            src, dst = f"{side}/layer_{i}", f"{side}.blocks.{i}"
            sa = f"{src}/self_attention"
            state.update(linear(f"{dst}.attn.query", f"{sa}/linear_0", q))
            state.update(linear(f"{dst}.attn.key", f"{sa}/linear_0", k, bias=False))
            state.update(linear(f"{dst}.attn.value", f"{sa}/linear_0", v))
            state.update(linear(f"{dst}.attn.out", f"{sa}/linear_1"))
            state.update(norm(f"{dst}.attn_ln", f"{sa}/layer_norm"))
            state.update(linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0"))
            state.update(linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1"))
            state.update(norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm"))
            if side == "decoder":
                ca = f"{src}/attention"
                state.update(linear(f"{dst}.cross_attn.query", f"{ca}/linear_0"))
                state.update(linear(f"{dst}.cross_attn.key", f"{ca}/linear_1", slice(0, w), bias=False))
                state.update(linear(f"{dst}.cross_attn.value", f"{ca}/linear_1", slice(w, 2 * w)))
                state.update(linear(f"{dst}.cross_attn.out", f"{ca}/linear_2"))
                state.update(norm(f"{dst}.cross_attn_ln", f"{ca}/layer_norm"))
    own = net.state_dict()
    missing = [n for n in own if n not in state and n != "alignment_heads"]
    if missing:
        raise SystemExit(f"tensors not mapped: {missing}")
    for name, value in state.items():
        if own[name].shape != value.shape:
            raise SystemExit(f"{name}: openai-whisper wants {tuple(own[name].shape)}, got {tuple(value.shape)}")
    net.load_state_dict(state, strict=False)
    return net.eval()


MODES = {
    "greedy": {},
    "beam5": {"beam_size": 5},
}


def decode_all(models, clips):
    import torch
    import whisper

    torch.set_num_threads(2)
    entries = []
    for name in models:
        folder = os.path.join(REPO, "models", name)
        if not os.path.exists(os.path.join(folder, "model.bin")):
            print(f"{name}: not fetched, skipped")
            continue
        net = build_whisper(folder)
        for clip in clips:
            audio = load_wav_16k(os.path.join(REPO, "data", "audio", clip))
            if audio is None:
                print(f"{clip}: not a 16 kHz 16-bit WAV, skipped (resamplers differ)")
                continue
            mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(audio)))
            for mode, extra in MODES.items():
                # English-only models need the language given (openai-whisper's transcribe does so).
                language = None if net.is_multilingual else "en"
                opts = whisper.DecodingOptions(fp16=False, language=language, **extra)
                r = whisper.decode(net, mel, opts)
                entries.append({
                    "model": name, "clip": clip, "mode": mode, "beam_size": extra.get("beam_size"),
                    "language": r.language, "tokens": [int(x) for x in r.tokens], "text": r.text,
                    "avg_logprob": r.avg_logprob, "no_speech_prob": r.no_speech_prob,
                })
                print(f"{name:8} {mode:7} {clip:28} {r.text}")
    return entries


def find_tests_binary():
    if os.environ.get("TESSERA_TESTS_BIN"):
        return os.environ["TESSERA_TESTS_BIN"]
    if os.environ.get("TESSERA_BIN"):
        cand = os.path.join(os.path.dirname(os.environ["TESSERA_BIN"]), "tests", "tessera_tests")
        if os.path.exists(cand):
            return cand
    for build in sorted(os.listdir(REPO)):
        cand = os.path.join(REPO, build, "tests", "tessera_tests")
        if build.startswith("build") and os.path.exists(cand):
            return cand
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    ap.add_argument("--clips", nargs="+",
                    default=sorted(f for f in os.listdir(os.path.join(REPO, "data", "audio")) if f.endswith(".wav")))
    ap.add_argument("--write-fixture", action="store_true")
    ap.add_argument("--no-run", action="store_true", help="only produce the openai-whisper JSON")
    args = ap.parse_args()
    reexec_in_venv()

    entries = decode_all(args.models, args.clips)
    if not entries:
        print("skipped: no model folders")
        return SKIP
    payload = json.dumps({"generator": "openai-whisper " + __import__("whisper").__version__,
                          "entries": entries}, indent=1, ensure_ascii=False)
    if args.write_fixture:
        os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
        with open(FIXTURE, "w", encoding="utf-8") as f:
            f.write(payload + "\n")
        print(f"wrote {FIXTURE}")
    if args.no_run:
        return 0
    binary = find_tests_binary()
    if not binary:
        print("tessera_tests not found (set TESSERA_TESTS_BIN)")
        return 1
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(payload)
        path = f.name
    try:
        env = dict(os.environ, TESSERA_DECODER_REFERENCE=path, TESSERA_SOURCE_DIR=REPO)
        run = subprocess.run([binary, "--gtest_filter=DecoderReference.*"], env=env, check=False)
        return run.returncode
    finally:
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
