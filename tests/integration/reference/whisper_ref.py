"""Float64 NumPy reference for Whisper's log-mel frontend and audio encoder.

Written from openai-whisper's definitions (whisper/audio.py, whisper/model.py),
independently of tessera's C++ code, so tessera's output can be checked
against it. Everything is computed in float64.
"""

from __future__ import annotations

import math
import wave

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_LENGTH = 30
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in a 30 s window
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 mel frames in a 30 s window
LAYER_NORM_EPS = 1e-5


# ----------------------------------------------------------------------------- audio

def load_wav_16k_mono(path: str) -> np.ndarray:
    """16 kHz mono 16-bit PCM WAV -> float64 in [-1, 1), scaled as openai-whisper does (/32768)."""
    with wave.open(path, "rb") as w:
        if w.getframerate() != SAMPLE_RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(
                f"{path}: need 16 kHz mono s16 WAV, got {w.getframerate()} Hz, "
                f"{w.getnchannels()} ch, {8 * w.getsampwidth()} bit")
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def pad_or_trim(array: np.ndarray, length: int = N_SAMPLES) -> np.ndarray:
    """Zero-pad or cut the last axis to `length` (openai-whisper's pad_or_trim, axis=-1)."""
    if array.shape[-1] > length:
        return array[..., :length]
    pad = [(0, 0)] * (array.ndim - 1) + [(0, length - array.shape[-1])]
    return np.pad(array, pad)


def mel_window_at(whole: np.ndarray, offset: int) -> np.ndarray:
    """The 3000-frame window at `offset` of a whole-file mel, zero-padded past the end,
    as openai-whisper's transcribe() cuts it: pad_or_trim(mel[:, seek:seek + 3000])."""
    if offset < 0:
        raise ValueError("negative frame offset")
    return pad_or_trim(whole[:, offset:offset + N_FRAMES], N_FRAMES)


# ----------------------------------------------------------------------------- log-mel

def mel_filters(npz_path: str, n_mels: int) -> np.ndarray:
    with np.load(npz_path) as f:
        return f[f"mel_{n_mels}"].astype(np.float64)


def _periodic_hann(n: int) -> np.ndarray:
    # torch.hann_window(n) (periodic=True): 0.5 - 0.5 cos(2 pi k / n)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def stft_power(audio: np.ndarray) -> np.ndarray:
    """|STFT|^2 as torch.stft(center=True, pad_mode='reflect') gives it, last frame dropped.

    Returns (n_fft // 2 + 1, n_frames) with n_frames = len(audio) // hop.
    """
    if audio.ndim != 1 or audio.size <= N_FFT // 2:
        raise ValueError("audio must be 1-D and longer than n_fft/2 for reflect padding")
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2), mode="reflect")
    n_frames = 1 + (padded.size - N_FFT) // HOP_LENGTH
    idx = np.arange(N_FFT)[None, :] + HOP_LENGTH * np.arange(n_frames)[:, None]
    frames = padded[idx] * _periodic_hann(N_FFT)[None, :]
    spec = np.fft.rfft(frames, axis=1)
    power = spec.real ** 2 + spec.imag ** 2
    return power[:-1].T


def log_mel_spectrogram(audio: np.ndarray, filters: np.ndarray, padding: int = 0) -> np.ndarray:
    """openai-whisper's log_mel_spectrogram(audio, n_mels, padding): (n_mels, frames) float64."""
    if padding > 0:
        audio = np.pad(audio, (0, padding))
    mel = filters @ stft_power(audio)
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def log_mel_window(audio: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """One 30 s window: log_mel_spectrogram(pad_or_trim(audio)) -> (n_mels, 3000)."""
    return log_mel_spectrogram(pad_or_trim(audio), filters)


def log_mel_whole(audio: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """Whole file as transcribe() does it: audio + 30 s of zeros, floor over the whole."""
    return log_mel_spectrogram(audio, filters, padding=N_SAMPLES)


# ----------------------------------------------------------------------------- encoder

_erf_scalar = math.erf


def erf(x: np.ndarray) -> np.ndarray:
    """Exact erf (libm's, within ~1 ulp) applied elementwise.

    NumPy has no erf and scipy is not assumed; mapping math.erf over a flat
    list costs ~0.1 us per element, a couple of seconds for a whole base encoder.
    """
    flat = np.asarray(x, dtype=np.float64).ravel().tolist()
    out = np.fromiter(map(_erf_scalar, flat), dtype=np.float64, count=len(flat))
    return out.reshape(np.shape(x))


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))."""
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


def conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """torch.nn.Conv1d(kernel 3, padding 1, stride): x (C_in, T) -> (T_out, C_out)."""
    c_out, c_in, k = weight.shape
    if x.shape[0] != c_in or k != 3:
        raise ValueError(f"conv1d: input {x.shape} does not fit weight {weight.shape}")
    t_in = x.shape[1]
    t_out = (t_in + 2 - k) // stride + 1
    xp = np.pad(x, ((0, 0), (1, 1)))
    # cols[t, c, j] = xp[c, stride * t + j]
    cols = np.stack([xp[:, j:j + stride * (t_out - 1) + 1:stride] for j in range(k)], axis=-1)
    cols = cols.transpose(1, 0, 2).reshape(t_out, c_in * k)
    return cols @ weight.reshape(c_out, c_in * k).T + bias


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * gamma + beta


def self_attention(x: np.ndarray, qkv_w, qkv_b, out_w, out_b, n_heads: int) -> np.ndarray:
    t, d = x.shape
    if qkv_w.shape != (3 * d, d) or d % n_heads:
        raise ValueError(f"attention: fused qkv {qkv_w.shape} vs d_model {d}, {n_heads} heads")
    d_head = d // n_heads
    qkv = x @ qkv_w.T + qkv_b
    q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
    scale = 1.0 / math.sqrt(d_head)
    ctx = np.empty((t, d))
    for h in range(n_heads):  # one head at a time keeps the score matrix small
        sl = slice(h * d_head, (h + 1) * d_head)
        scores = (q[:, sl] @ k[:, sl].T) * scale
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        ctx[:, sl] = scores @ v[:, sl]
    return ctx @ out_w.T + out_b


class EncoderWeights:
    """The encoder tensors of a CTranslate2 Whisper model, float64, by canonical CT2 name."""

    def __init__(self, model):
        g = model.get
        self.n_heads = model.scalar("encoder/num_heads")
        self.conv1 = (g("encoder/conv1/weight"), g("encoder/conv1/bias"))
        self.conv2 = (g("encoder/conv2/weight"), g("encoder/conv2/bias"))
        self.positions = g("encoder/position_encodings/encodings")
        self.ln_post = (g("encoder/layer_norm/gamma"), g("encoder/layer_norm/beta"))
        self.layers = []
        i = 0
        while f"encoder/layer_{i}/self_attention/linear_0/weight" in model:
            p = f"encoder/layer_{i}"
            self.layers.append({
                "attn_ln": (g(f"{p}/self_attention/layer_norm/gamma"),
                            g(f"{p}/self_attention/layer_norm/beta")),
                "qkv": (g(f"{p}/self_attention/linear_0/weight"),
                        g(f"{p}/self_attention/linear_0/bias")),
                "out": (g(f"{p}/self_attention/linear_1/weight"),
                        g(f"{p}/self_attention/linear_1/bias")),
                "mlp_ln": (g(f"{p}/ffn/layer_norm/gamma"), g(f"{p}/ffn/layer_norm/beta")),
                "fc1": (g(f"{p}/ffn/linear_0/weight"), g(f"{p}/ffn/linear_0/bias")),
                "fc2": (g(f"{p}/ffn/linear_1/weight"), g(f"{p}/ffn/linear_1/bias")),
            })
            i += 1
        if not self.layers:
            raise ValueError(f"{model.path}: no encoder layers found")

    @property
    def n_mels(self) -> int:
        return self.conv1[0].shape[1]

    @property
    def d_model(self) -> int:
        return self.conv1[0].shape[0]


def encode(mel: np.ndarray, w: EncoderWeights) -> np.ndarray:
    """Whisper AudioEncoder.forward on one window: mel (n_mels, 3000) -> (1500, d_model) float64."""
    if mel.shape[0] != w.n_mels:
        raise ValueError(f"mel has {mel.shape[0]} bins, model wants {w.n_mels}")
    x = gelu(conv1d(mel, *w.conv1, stride=1))  # (3000, d)
    x = gelu(conv1d(x.T, *w.conv2, stride=2))  # (1500, d)
    if x.shape[0] > w.positions.shape[0]:
        raise ValueError(f"{x.shape[0]} frames exceed {w.positions.shape[0]} positions")
    x = x + w.positions[:x.shape[0]]
    for layer in w.layers:
        x = x + self_attention(layer_norm(x, *layer["attn_ln"]), *layer["qkv"], *layer["out"],
                               w.n_heads)
        h = gelu(layer_norm(x, *layer["mlp_ln"]) @ layer["fc1"][0].T + layer["fc1"][1])
        x = x + (h @ layer["fc2"][0].T + layer["fc2"][1])
    return layer_norm(x, *w.ln_post)
