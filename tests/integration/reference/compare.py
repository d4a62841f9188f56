"""Comparison figures and per-compute-type thresholds, shared by the integration tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FrameStats:
    min_cosine: float  # worst per-frame (row) cosine similarity
    mean_cosine: float
    max_abs: float  # max |out - ref| over all elements
    rel_error: float  # ||out - ref||_F / ||ref||_F


def compare_frames(out: np.ndarray, ref: np.ndarray) -> FrameStats:
    """Compare (frames, d) outputs row by row; shapes must match exactly."""
    if out.shape != ref.shape:
        raise ValueError(f"shape {out.shape} != reference {ref.shape}")
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        return FrameStats(float("nan"), float("nan"), float("inf"), float("inf"))
    dots = np.einsum("ij,ij->i", out, ref)
    norms = np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1)
    cos = dots / np.maximum(norms, 1e-300)
    return FrameStats(
        min_cosine=float(cos.min()),
        mean_cosine=float(cos.mean()),
        max_abs=float(np.max(np.abs(out - ref))),
        rel_error=float(np.linalg.norm(out - ref) / np.linalg.norm(ref)),
    )


def max_abs_diff(out: np.ndarray, ref: np.ndarray) -> float:
    if out.shape != ref.shape:
        raise ValueError(f"shape {out.shape} != reference {ref.shape}")
    out = np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        return float("inf")
    return float(np.max(np.abs(out - ref)))


@dataclass(frozen=True)
class Thresholds:
    """Bounds an encoder output must meet; None means that figure is not gated."""
    min_cosine: float | None = None  # per-frame minimum
    mean_cosine: float | None = None
    max_abs: float | None = None
    rel_error: float | None = None

    def failures(self, s: FrameStats) -> list[str]:
        out = []
        # Written as "not (ok)" so NaN figures fail.
        if self.min_cosine is not None and not s.min_cosine >= self.min_cosine:
            out.append(f"min cosine {s.min_cosine:.9f} < {self.min_cosine}")
        if self.mean_cosine is not None and not s.mean_cosine >= self.mean_cosine:
            out.append(f"mean cosine {s.mean_cosine:.9f} < {self.mean_cosine}")
        if self.max_abs is not None and not s.max_abs <= self.max_abs:
            out.append(f"max abs {s.max_abs:.3e} > {self.max_abs}")
        if self.rel_error is not None and not s.rel_error <= self.rel_error:
            out.append(f"relative error {s.rel_error:.3e} > {self.rel_error}")
        return out


# Encoder output vs the float64 reference, per tessera compute type (issues 3 and 4).
ENCODER_THRESHOLDS = {
    "fp32": Thresholds(min_cosine=0.99999, max_abs=2e-3),
    "bf16": Thresholds(mean_cosine=0.9999, rel_error=0.010),
    "int8": Thresholds(mean_cosine=0.998, rel_error=0.040),
}
MEL_MAX_ABS = 1e-4  # log-mel vs the float64 reference, any compute type
