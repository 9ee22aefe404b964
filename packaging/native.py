"""Small native libraries made at bundle time (Linux) that stand in for big ones the bundle does not need twice
or at all. Each needs gcc; without it (or without the tool named) the spec keeps the original library.

- `forwarder`: a library with the name of faiss's own OpenBLAS (39 MB) whose dozen BLAS/LAPACK functions jump to
  scipy's OpenBLAS, which the bundle carries anyway (same LP64 interface; scipy's symbols are `scipy_`-prefixed).
- `stubs`: libraries with the names of encoders that PyAV's FFmpeg links (x265, x264, SVT-AV1, LAME: 30 MB)
  and functions that fail the way a failed encoder start does. Shoebox only decodes video; FFmpeg resolves the
  encoders at load time but calls them only when asked to encode.
- `trim_icu_data`: Qt's ICU data (32 MB) without the tables Qt never asks ICU for (Qt calls ICU for collation,
  case mapping, time-zone names and legacy text codecs; its own CLDR tables do the rest).

Sizes and the smoke test that checks them: packaging/README.md.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path


def have(*tools: str) -> bool:
    return all(shutil.which(tool) for tool in tools)


def dynamic_symbols(path: Path | str, *, defined: bool) -> dict[str, tuple[str, int]]:
    """name -> (nm type letter, size) of a library's dynamic symbols, defined or undefined ones."""
    return {name: (kind, size) for name, (kind, size, _address) in _nm(path, defined).items()}


def _nm(path: Path | str, defined: bool) -> dict[str, tuple[str, int, int]]:
    out = subprocess.run(["nm", "-D", "-S", "--defined-only" if defined else "--undefined-only", str(path)],
                         capture_output=True, text=True, check=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if defined and len(fields) == 4:
            symbols[fields[3].split("@")[0]] = (fields[2], int(fields[1], 16), int(fields[0], 16))
        elif defined and len(fields) == 3:
            symbols[fields[2].split("@")[0]] = (fields[1], 0, int(fields[0], 16))
        elif not defined and len(fields) == 2:
            symbols[fields[1].split("@")[0]] = (fields[0], 0, 0)
    return symbols


def _link(out: Path, soname: str, sources: list[Path], *extra: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(out), f"-Wl,-soname,{soname}", *map(str, sources),
                    *extra], check=True, capture_output=True, text=True)
    subprocess.run(["strip", "--strip-unneeded", str(out)], check=True)
    return out


def forwarder(out: Path, soname: str, functions: dict[str, str], target: Path, rpath: str) -> Path:
    """A library named `soname` whose functions (name -> target name) tail-jump into `target` (arguments,
    including Fortran's hidden string lengths, pass through untouched)."""
    asm = out.with_suffix(".S")
    asm.parent.mkdir(parents=True, exist_ok=True)
    lines = [".text"]
    for name, goal in sorted(functions.items()):
        lines += [f".globl {name}", f".type {name},@function", f"{name}:", f"\tjmp {goal}@PLT", f".size {name},.-{name}"]
    lines.append('.section .note.GNU-stack,"",@progbits')
    asm.write_text("\n".join(lines) + "\n")
    return _link(out, soname, [asm], str(target), f"-Wl,-rpath,{rpath}")


def used_symbols(users: list[Path | str], provider: Path | str) -> dict[str, tuple[str, int]]:
    """The symbols `provider` defines that any of `users` imports (name -> nm type, size)."""
    wanted = set()
    for user in users:
        wanted |= set(dynamic_symbols(user, defined=False))
    return {name: kind for name, kind in dynamic_symbols(provider, defined=True).items() if name in wanted}


def symbol_versions(users: list[Path | str], names) -> set[str]:
    """The symbol versions (GNUTLS_3_4...) under which `users` import any of `names`."""
    versions = set()
    for user in users:
        out = subprocess.run(["nm", "-D", "--undefined-only", str(user)], capture_output=True, text=True,
                             check=True).stdout
        for line in out.split():
            name, _, version = line.partition("@")
            if version and name in names:
                versions.add(version.lstrip("@"))
    return versions


def stubs(out: Path, soname: str, symbols: dict[str, tuple[str, int]], failures: dict[str, int],
          version: str | None = None) -> Path:
    """A library named `soname` that defines `symbols` (name -> nm type, size): functions return 0 (NULL), or
    the value in `failures` (the first call of each encoder, so that FFmpeg reports the encoder as failed to
    open before it would use anything else); data objects are zeroed with their original size. `version`: the
    symbol version the users ask for (the loader refuses a library without it)."""
    source = out.with_suffix(".c")
    source.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, (kind, size) in sorted(symbols.items()):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"odd symbol name {name!r}")
        if kind in "Tt":
            lines.append(f"long {name}(void) {{ return {failures.get(name, 0)}L; }}")
        else:
            lines.append(f"const unsigned char {name}[{max(size, 8)}] __attribute__((aligned(16))) = {{0}};")
    source.write_text("/* Made by packaging/native.py: stubs for a decode-only, offline bundle. */\n"
                      + "\n".join(lines) + "\n")
    extra = []
    if version:
        script = out.with_suffix(".map")
        script.write_text(f"{version} {{ global: *; }};\n")
        extra.append(f"-Wl,--version-script,{script}")
    return _link(out, soname, [source], *extra)


def _section_of(path: Path, address: int) -> int:
    """The file offset of a virtual address in an ELF library (from its section headers)."""
    out = subprocess.run(["readelf", "-SW", str(path)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        match = re.search(r"\]\s+\S+\s+\S+\s+([0-9a-f]{16})\s+([0-9a-f]{6,})\s+([0-9a-f]{6,})", line)
        if match:
            addr, offset, size = (int(g, 16) for g in match.groups())
            if addr and addr <= address < addr + size:
                return offset + address - addr
    raise ValueError(f"no section of {path} holds {address:#x}")


# ICU data items Qt never asks for: break iteration (Qt has its own), unit, currency, language and region display
# names, transliteration, number spelling, character names, stringprep/confusables and the legacy converters'
# tables (Qt decodes UTF-8/16/32 and Latin-1 itself; codecs ICU can no longer open fail like unknown ones).
ICU_DROP = re.compile(r"^(brkitr|unit|curr|lang|region|translit|rbnf)/|\.(cnv|spp|cfu)$|^unames\.icu$")


def trim_icu_data(library: Path, out: Path, drop=ICU_DROP) -> tuple[Path, int, int]:
    """A copy of ICU's data library (libicudata.so.NN) without the items `drop` matches. Returns the new
    library and the data sizes before and after."""
    (name, (_kind, size, address)), = ((n, k) for n, k in _nm(library, True).items() if re.fullmatch(r"icudt\d+_dat", n))
    work = out.parent / "icu"
    work.mkdir(parents=True, exist_ok=True)
    package = name.removesuffix("_dat") + "l.dat"  # icupkg wants the name the items carry: icudt73l/...
    (work / "trimmed").mkdir(exist_ok=True)
    full, trimmed, listing = work / package, work / "trimmed" / package, work / "drop.txt"
    with open(library, "rb") as f:
        f.seek(_section_of(library, address))
        full.write_bytes(f.read(size))
    items = subprocess.run(["icupkg", "-l", str(full)], capture_output=True, text=True, check=True).stdout.split()
    listing.write_text("\n".join(item for item in items if drop.search(item)) + "\n")
    trimmed.unlink(missing_ok=True)
    subprocess.run(["icupkg", "-r", str(listing), str(full), str(trimmed)], check=True, capture_output=True)
    asm = work / "data.S"
    asm.write_text(f'.section .rodata\n.globl {name}\n.type {name},@object\n.balign 16\n{name}:\n'
                   f'.incbin "{trimmed}"\n.size {name},.-{name}\n.section .note.GNU-stack,"",@progbits\n')
    soname = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    soname = re.search(r"soname: \[([^\]]+)\]", soname).group(1)
    return _link(out, soname, [asm], "-nostdlib"), size, trimmed.stat().st_size
