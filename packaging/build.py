"""Build the Shoebox bundle for this OS into dist/, print its size and biggest parts, pack it, smoke-test it.

    python packaging/build.py [--no-smoke] [--corpus DIR] [--skip-pyinstaller]

Linux: dist/Shoebox/ (Shoebox + shoebox, desktop file and icon), dist/Shoebox-<version>-linux-x86_64.tar.gz, and
an AppImage when appimagetool is on PATH. Windows: dist/Shoebox/ and, when Inno Setup's iscc is on PATH, the
installer. macOS: dist/Shoebox.app and, with --dmg, a .dmg (packaging/macos/make_dmg.sh).
Slow (minutes) and not part of the test suite; the CI workflow .github/workflows/package.yml runs it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUNDLE = DIST / "Shoebox"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from app import __version__  # noqa: E402

# Wheels keep their bundled libraries in "<distribution>.libs"; count them with the package that loads them.
LIBS_OWNER = {"opencv_python_headless.libs": "cv2", "faiss_cpu.libs": "faiss", "numpy.libs": "numpy",
              "scipy.libs": "scipy", "pillow.libs": "PIL", "pillow_heif.libs": "pillow_heif",
              "pi_heif.libs": "pi_heif"}


def run_pyinstaller() -> None:
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", str(DIST),
                    "--workpath", str(ROOT / "build"), str(HERE / "shoebox.spec")], check=True, cwd=ROOT)


def file_sizes(folder: Path) -> dict[Path, int]:
    """Bytes of every regular file under folder (symlinks count zero: they take no space)."""
    sizes = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            sizes[path] = path.stat().st_size
    return sizes


def part_of(path: Path, bundle: Path) -> str:
    """The package a file belongs to: the first folder under _internal/, or 'system libraries' for loose libs."""
    rel = path.relative_to(bundle).parts
    if rel[0] != "_internal" or len(rel) == 1:
        return rel[0]
    top = rel[1]
    if len(rel) == 2:  # a loose file in _internal/
        if top.startswith(("_pillow_heif", "_pi_heif")):
            return top[1:].split(".", 1)[0]
        return "Python runtime" if top.startswith(("libpython", "base_library")) else "system libraries"
    return LIBS_OWNER.get(top, top)


def report_size(bundle: Path, top: int = 10) -> int:
    sizes = file_sizes(bundle)
    total = sum(sizes.values())
    parts: dict[str, int] = {}
    for path, size in sizes.items():
        name = part_of(path, bundle)
        parts[name] = parts.get(name, 0) + size
    print(f"\n{bundle.relative_to(ROOT)}: {total / 1e6:.0f} MB unpacked, {len(sizes)} files")
    print(f"the {top} biggest parts:")
    for name, size in sorted(parts.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {size / 1e6:7.1f} MB  {name}")
    print(f"the {top} biggest files:")
    for path, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {size / 1e6:7.1f} MB  {path.relative_to(bundle)}")
    return total


def add_desktop_entry(bundle: Path) -> None:
    """The .desktop file and icon inside the bundle, and a script that installs both for the current user."""
    desktop = (HERE / "shoebox.desktop").read_text(encoding="utf-8")
    desktop = desktop.replace("Exec=shoebox-gui %F", "Exec=Shoebox %F").replace("TryExec=shoebox-gui",
                                                                                  "TryExec=Shoebox")
    (bundle / "shoebox.desktop").write_text(desktop, encoding="utf-8")
    shutil.copy2(ROOT / "resources" / "shoebox.svg", bundle / "shoebox.svg")
    installer = bundle / "install-desktop-entry.sh"
    shutil.copy2(HERE / "linux" / "install-desktop-entry.sh", installer)
    installer.chmod(0o755)


def pack_tarball(bundle: Path) -> Path:
    archive = DIST / f"Shoebox-{__version__}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname="Shoebox")
    print(f"packed {archive.relative_to(ROOT)}: {archive.stat().st_size / 1e6:.0f} MB")
    return archive


def build_appimage(bundle: Path) -> None:
    tool = shutil.which("appimagetool")
    if tool is None:
        print("no AppImage: appimagetool is not on PATH (https://github.com/AppImage/appimagetool); "
              "the .tar.gz is the Linux download")
        return
    appdir = DIST / "Shoebox.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(bundle, appdir / "usr" / "lib" / "shoebox", symlinks=True)
    shutil.copy2(bundle / "shoebox.desktop", appdir / "shoebox.desktop")
    shutil.copy2(bundle / "shoebox.svg", appdir / "shoebox.svg")
    apprun = appdir / "AppRun"
    apprun.write_text('#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/usr/lib/shoebox/Shoebox" "$@"\n')
    apprun.chmod(0o755)
    image = DIST / f"Shoebox-{__version__}-{platform.machine()}.AppImage"
    subprocess.run([tool, str(appdir), str(image)], check=True, env={**os.environ, "ARCH": platform.machine()})
    print(f"AppImage {image.relative_to(ROOT)}: {image.stat().st_size / 1e6:.0f} MB")


def build_windows_installer() -> None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        print("no installer: Inno Setup's iscc is not on PATH (packaging/windows/shoebox.iss)")
        return
    subprocess.run([iscc, f"/DAppVersion={__version__}", str(HERE / "windows" / "shoebox.iss")], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pyinstaller", action="store_true", help="reuse dist/Shoebox (pack and test only)")
    parser.add_argument("--no-smoke", action="store_true", help="do not run packaging/smoke_test.py")
    parser.add_argument("--dmg", action="store_true", help="macOS: also make the .dmg")
    parser.add_argument("--corpus", help="photos for the smoke test (default: ../shared/corpus)")
    args = parser.parse_args()

    if not args.skip_pyinstaller:
        run_pyinstaller()
    if sys.platform.startswith("linux"):
        add_desktop_entry(BUNDLE)
    report_size(BUNDLE)
    if sys.platform.startswith("linux"):
        pack_tarball(BUNDLE)
        build_appimage(BUNDLE)
    elif sys.platform == "win32":
        build_windows_installer()
    elif sys.platform == "darwin" and args.dmg:
        subprocess.run(["sh", str(HERE / "macos" / "make_dmg.sh"), __version__], check=True, cwd=ROOT)
    if args.no_smoke:
        return 0
    smoke = [sys.executable, str(HERE / "smoke_test.py"), "--bundle", str(BUNDLE)]
    if args.corpus:
        smoke += ["--corpus", args.corpus]
    return subprocess.run(smoke, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
