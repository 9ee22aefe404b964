"""DCT-II along the last axis with numpy only, bit for bit the transform scipy.fft.dct(type=2) computes.

pHash hex strings stored in existing libraries came from scipy's pocketfft; a textbook cosine-matrix DCT differs
in the last bits, which flips hash bits of flat images (whose coefficients sit at the median). So this runs
pocketfft's own DCT-II recipe (T_dcst23: pre-twiddle, a backward real FFT, post-twiddle) around numpy.fft's
irfft, which is the same pocketfft real FFT; tests/test_no_scipy.py compares it with scipy on random data.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def _unity_root_cos(n: int, idx: int) -> float:
    """cos(2 pi idx / n) as pocketfft's sincos_2pibyn table gives it: the product of two table entries (for
    idx <= n / 2, computed in double precision; n a power of two, so its angle step is exactly pi / (4 n))."""
    ang = math.pi / (4 * n)

    def calc(x: int) -> tuple[float, float]:
        x <<= 3  # in units of ang; only the first quadrant is ever needed here (idx <= n / 4 for DCT-II)
        if x < n:
            return math.cos(x * ang), math.sin(x * ang)
        if x < 2 * n:
            return math.sin((2 * n - x) * ang), math.cos((2 * n - x) * ang)
        if x < 3 * n:
            return -math.sin((x - 2 * n) * ang), math.cos((x - 2 * n) * ang)
        return -math.cos((4 * n - x) * ang), math.sin((4 * n - x) * ang)

    shift = 1
    while (1 << shift) * (1 << shift) < (n + 2) // 2:
        shift += 1
    mask = (1 << shift) - 1
    (r1, i1), (r2, i2) = calc(idx & mask), calc((idx >> shift) * (mask + 1))
    return r1 * r2 - i1 * i2


@functools.cache
def _twiddle(n: int) -> np.ndarray:
    if n & (n - 1) or n < 4:
        raise ValueError(f"DCT length must be a power of two >= 4, not {n}")
    return np.array([_unity_root_cos(4 * n, i + 1) for i in range(n)])


def dct2(x: np.ndarray) -> np.ndarray:
    """Unnormalised DCT-II along the last axis (scipy.fft.dct(x, type=2, axis=-1)), for power-of-two lengths."""
    c = np.array(x, dtype=np.float64)
    n = c.shape[-1]
    tw = _twiddle(n)
    c[..., 0] *= 2
    c[..., n - 1] *= 2
    odd, even = c[..., 1:n - 1:2].copy(), c[..., 2:n - 1:2].copy()
    c[..., 2:n - 1:2], c[..., 1:n - 1:2] = even - odd, even + odd  # pocketfft's MPINPLACE(c[k + 1], c[k])
    half = np.empty(c.shape[:-1] + (n // 2 + 1,), dtype=np.complex128)  # the halfcomplex layout as complex
    half.real[..., 0], half.imag[..., 0] = c[..., 0], 0.0
    half.real[..., 1:n // 2], half.imag[..., 1:n // 2] = c[..., 1:n - 1:2], c[..., 2:n - 1:2]
    half.real[..., n // 2], half.imag[..., n // 2] = c[..., n - 1], 0.0
    r = np.fft.irfft(half, n=n, norm="forward")  # unscaled backward real FFT
    k = np.arange(1, n // 2)
    kc = n - k
    t1 = tw[k - 1] * r[..., kc] + tw[kc - 1] * r[..., k]
    t2 = tw[k - 1] * r[..., k] - tw[kc - 1] * r[..., kc]
    out = r.copy()
    out[..., k], out[..., kc] = 0.5 * (t1 + t2), 0.5 * (t1 - t2)
    out[..., n // 2] = r[..., n // 2] * tw[n // 2 - 1]
    return out
