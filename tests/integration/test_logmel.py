#!/usr/bin/env python3
"""`tessera mel` against an independent float64 NumPy log-mel (openai-whisper's log_mel_spectrogram).

Reference, written from openai-whisper's audio.py: 16 kHz audio, reflect padding of n_fft/2 on each
side (torch.stft center=True), periodic Hann window, |rfft|^2 with the last frame dropped, the mel
filters of assets/mel_filters.npz, log10(clamp(x, 1e-10)), floor at max - 8, (x + 4) / 4.
Both entry points are checked: one 30 s window (audio padded/trimmed to 480,000 samples) and the
whole file (audio + 480,000 zeros, floor over all of it), plus 3000-frame windows cut from the whole
at a nonzero frame offset. The tolerance, 1e-4 max abs difference, is on that final log-mel scale.

Env: TESSERA_BIN (the tessera binary), TESSERA_SOURCE_DIR (repo root). Exit 0 pass, 1 fail, 77 skip.
"""
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

N_FFT, HOP, CHUNK = 400, 160, 480000
TOLERANCE = 1e-4
CLIPS = ["jfk.wav", "1272-128104-0000.wav", "61-70968-0002.wav"]


def read_wav16k(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getsampwidth() == 2 and w.getnchannels() == 1, path
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float64) / 32768.0


def log_mel(audio, filters):
    """float64 log-mel of `audio` exactly as given (the caller pads or trims)."""
    x = np.pad(audio, N_FFT // 2, mode="reflect")
    n_frames = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, N_FFT), strides=(x.strides[0] * HOP, x.strides[0]))
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2  # (frames, 201)
    power = power[:-1]  # torch.stft yields one frame more than whisper keeps
    mel = filters @ power.T
    logm = np.log10(np.maximum(mel, 1e-10))
    logm = np.maximum(logm, logm.max() - 8.0)
    return (logm + 4.0) / 4.0


def pad_or_trim(a, n):
    return a[:n] if len(a) >= n else np.pad(a, (0, n - len(a)))


def run_tessera(binary, wav, n_mels, extra, out):
    cmd = [binary, "mel", "-f", wav, "--n-mels", str(n_mels), "--dump-npy", out] + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return np.load(out)


def main():
    binary = os.environ.get("TESSERA_BIN", "")
    src = os.environ.get("TESSERA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    if not binary or not os.access(binary, os.X_OK):
        print("SKIP: TESSERA_BIN is not set to an executable tessera binary")
        return 77
    npz = np.load(os.path.join(src, "assets", "mel_filters.npz"))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mel.npy")
        for clip in CLIPS:
            wav = os.path.join(src, "data", "audio", clip)
            audio = read_wav16k(wav)
            for n_mels in (80, 128) if clip == "jfk.wav" else (80,):
                filters = npz[f"mel_{n_mels}"].astype(np.float64)
                ref_window = log_mel(pad_or_trim(audio, CHUNK), filters)
                ref_whole = log_mel(np.concatenate([audio, np.zeros(CHUNK)]), filters)
                offset = 100 if clip != "jfk.wav" else 537
                cut = ref_whole[:, offset:offset + 3000]
                ref_cut = np.pad(cut, ((0, 0), (0, 3000 - cut.shape[1])))
                cases = [("window", [], ref_window), ("whole", ["--whole"], ref_whole),
                         (f"cut@{offset}", ["--whole", "--offset", str(offset)], ref_cut)]
                for label, extra, ref in cases:
                    got = run_tessera(binary, wav, n_mels, extra, out)
                    if got.shape != ref.shape or got.dtype != np.float32:
                        print(f"FAIL {clip} n_mels={n_mels} {label}: shape {got.shape} {got.dtype},"
                              f" expected {ref.shape} float32")
                        failures += 1
                        continue
                    diff = float(np.max(np.abs(got.astype(np.float64) - ref)))
                    ok = diff <= TOLERANCE
                    failures += not ok
                    print(f"{'ok  ' if ok else 'FAIL'} {clip:24s} n_mels={n_mels:3d} {label:9s}"
                          f" shape={got.shape} max|diff|={diff:.3e} (bound {TOLERANCE:g}, log-mel scale)")
    print("PASS" if failures == 0 else f"{failures} case(s) over the bound")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
