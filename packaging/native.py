"""Small native libraries made at bundle time (Linux) that stand in for big ones the bundle does not need twice
or at all. Each needs gcc; without it (or without the tool named) the spec keeps the original library.

- `ilp64_forwarder`: a library with the name of faiss's own OpenBLAS (39 MB) whose 14 BLAS/LAPACK functions call
  numpy's OpenBLAS, which the bundle carries anyway. numpy's is ILP64 (64-bit integers, symbols `scipy_sgemm_64_`),
  faiss's callers pass 32-bit ones: each wrapper copies the integers (and pivot/work arrays) over and back.
- `stubs`: libraries with the names of encoders that PyAV's FFmpeg links (x265, x264, SVT-AV1, LAME: 30 MB)
  and functions that fail the way a failed encoder start does. Shoebox only decodes video; FFmpeg resolves the
  encoders at load time but calls them only when asked to encode.
- `trim_icu_data`: Qt's ICU data (32 MB) without the tables Qt never asks ICU for (Qt calls ICU for collation,
  case mapping, time-zone names and legacy text codecs; its own CLDR tables do the rest), and without time-zone
  names other than English ones.

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


# The BLAS/LAPACK functions faiss calls, by argument: c a character (Fortran passes its length, 1, after all
# arguments), i an integer read, o an integer written (info, rank), p any other pointer (matrices, scalars),
# P an integer pivot array read and written (length min(m, n) for getrf, n for getri), W sgelsd's integer work.
BLAS_SIGNATURES = {
    "sgemm_": "cciiippipippi", "dgemm_": "cciiippipippi", "sgemv_": "ciippipippi", "ssyrk_": "cciippippi",
    "sgeqrf_": "iipippio", "sorgqr_": "iiipippio", "sgesvd_": "cciipippipipio", "dgesvd_": "cciipippipipio",
    "sgetrf_": "iipiPo", "dgetrf_": "iipiPo", "sgetri_": "ipiPpio", "dgetri_": "ipiPpio", "dsyev_": "ccipippio",
    "sgelsd_": "iiipipippopiWo",
}


def _ilp64_wrapper(name: str, goal: str, kinds: str) -> str:
    """C for one function: 32-bit integers copied to 64-bit ones and back, everything else passed on."""
    params = ", ".join(f"void *a{k}" for k in range(len(kinds)))
    chars = kinds.count("c")
    target_params = ", ".join(["void *"] * len(kinds) + ["size_t"] * chars)
    body, args, after = [], [], []
    for k, kind in enumerate(kinds):
        if kind in "io":
            body.append(f"long long v{k} = *(int *)a{k};")
            args.append(f"&v{k}")
            if kind == "o":
                after.append(f"*(int *)a{k} = (int)v{k};")
        elif kind in "PW":
            if kind == "P":  # getrf: ipiv(min(m, n)), written; getri: ipiv(n), read
                count = "(*(int *)a0 < *(int *)a1 ? *(int *)a0 : *(int *)a1)" if kinds.startswith("iip") else "*(int *)a0"
            else:  # sgelsd: 3 minmn nlvl + 11 minmn, nlvl <= log2(minmn) + 1 (a bound for any SMLSIZ)
                count = "(3 * mn * (64 - __builtin_clzll((unsigned long long)mn | 1) + 1) + 11 * mn + 1)"
                body.append("long long mn = *(int *)a0 < *(int *)a1 ? *(int *)a0 : *(int *)a1; if (mn < 1) mn = 1;")
            body.append(f"long long n{k} = {count}; if (n{k} < 0) n{k} = 0;")
            body.append(f"long long *v{k} = malloc((n{k} + 1) * sizeof(long long));")
            body.append(f"if (!v{k}) {{ *(int *)a{len(kinds) - 1} = -1000; return 0; }}")
            body.append(f"for (long long j = 0; j < n{k}; ++j) v{k}[j] = ((int *)a{k})[j];" if kind == "P"
                        else f"v{k}[0] = 0;")
            args.append(f"v{k}")
            after.append(f"for (long long j = 0; j < n{k}; ++j) ((int *)a{k})[j] = (int)v{k}[j];" if kind == "P"
                         else f"((int *)a{k})[0] = (int)v{k}[0];")
            after.append(f"free(v{k});")
        else:
            args.append(f"a{k}")
    args += ["1"] * chars
    return "\n".join([f"extern void {goal}({target_params});", f"int {name}({params}) {{", *body,
                      f"{goal}({', '.join(args)});", *after, "return 0;", "}"])


def ilp64_forwarder(out: Path, soname: str, functions: dict[str, str], target: Path, rpath: str) -> Path:
    """A library named `soname` whose BLAS/LAPACK functions (name -> target name, all in BLAS_SIGNATURES) call
    the target library's 64-bit-integer (ILP64) versions, copying integer arguments, pivots and outputs."""
    unknown = sorted(set(functions) - set(BLAS_SIGNATURES))
    if unknown:
        raise ValueError(f"no signature for {unknown}")
    source = out.with_suffix(".c")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("/* Made by packaging/native.py: LP64 BLAS/LAPACK calls forwarded to an ILP64 library. */\n"
                      "#include <stdlib.h>\n"
                      + "\n".join(_ilp64_wrapper(name, goal, BLAS_SIGNATURES[name])
                                  for name, goal in sorted(functions.items())) + "\n")
    return _link(out, soname, [source], str(target), f"-Wl,-rpath,{rpath}")


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
# Then the locales' own tables (date/number formats: QLocale has its own CLDR data) and the time-zone display
# names but English ones: collation (coll/), case mapping, time-zone rules (zoneinfo64) and the supplemental
# tables stay, so sorting and offsets are unchanged and a French or German zone name falls back to English.
ICU_DROP = re.compile(r"^(brkitr|unit|curr|lang|region|translit|rbnf)/|\.(cnv|spp|cfu)$|^unames\.icu$"
                      r"|^zone/(?!(root|pool|en|tzdbNames)\.res$)"
                      r"|^(?!(root|pool|res_index|en)\.res$)[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")


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
