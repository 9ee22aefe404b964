"""The `shoebox` command tells the truth: clear refusals, one-line errors, quiet broken pipes, honest exit codes."""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_empty_library_path_is_an_error(capsys):
    from app.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--library", "", "info"])
    assert exit_.value.code == 2 and "--library needs a folder" in capsys.readouterr().err


def test_photo_folder_is_not_turned_into_a_library(tmp_path, capsys):
    photos = tmp_path / "Pictures"
    photos.mkdir()
    (photos / "IMG_0001.JPG").write_bytes(b"jpeg")
    code, _, err = run_cli(capsys, "--library", str(photos), "info")
    assert code == 1 and "not a Shoebox library" in err and "--create" in err
    assert [p.name for p in photos.iterdir()] == ["IMG_0001.JPG"]
    code, out, _ = run_cli(capsys, "--library", str(photos), "--create", "info")
    assert code == 0 and str(photos) in out


def test_library_path_that_is_a_file_says_so(tmp_path, capsys):
    target = tmp_path / "photo.jpg"
    target.write_bytes(b"jpeg")
    code, _, err = run_cli(capsys, "--library", str(target), "photos")
    assert code == 1 and "is a file, not a library folder" in err
    assert target.read_bytes() == b"jpeg"


def test_unexpected_error_is_one_line_with_the_log_path(tmp_path, capsys, monkeypatch):
    from app.commands import library_cmds

    def broken(args, library):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(library_cmds, "cmd_photos", broken)
    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "photos")
    log_file = tmp_path / "lib" / "logs" / "shoebox.log"
    assert code == 1 and "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    assert "RuntimeError: something inside broke" in err and str(log_file) in err and "--verbose" in err
    assert "Traceback" in log_file.read_text()  # the details are kept for a bug report

    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "--verbose", "photos")
    assert code == 1 and "Traceback" in err and "something inside broke" in err


def test_database_error_does_not_dump_sql_and_parameters(tmp_path, capsys, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.commands import library_cmds

    def broken(args, library):
        raise OperationalError("SELECT * FROM photos WHERE id IN (" + ", ".join("?" * 300) + ")",
                               list(range(300)), sqlite3.OperationalError("database table is locked"))

    monkeypatch.setattr(library_cmds, "cmd_photos", broken)
    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "photos")
    assert code == 1 and "database table is locked" in err
    assert "SELECT" not in err and "parameters" not in err and len(err) < 500


def test_requeue_of_an_unknown_task_fails(tmp_path, capsys):
    code, out, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "tasks", "requeue", "999999")
    assert code == 1 and "no such task: 999999" in err and "requeued" not in out
    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "tasks", "requeue", "--group", "424242")
    assert code == 1 and "no such group" in err


def _cli_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}


def test_broken_pipe_exits_quietly(tmp_path):
    """`shoebox photos | head`: the reader is gone before the output is written (a pipe closed at both ends)."""
    subprocess.run([sys.executable, "-m", "app.cli", "--library", str(tmp_path / "lib"), "info"],
                   env=_cli_env(), check=True, capture_output=True, timeout=300)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "app.cli", "--library", str(tmp_path / "lib"), "photos"],
                                stdout=write_end, stderr=subprocess.PIPE, env=_cli_env(), timeout=300)
    finally:
        os.close(write_end)
    assert result.stderr.decode() == ""
    assert result.returncode == 141


def test_help_does_not_import_benchmarks():
    """`shoebox --help` stays light: no benchmark module (numpy, PIL, a no-op task type) is imported."""
    probe = (
        "import sys\n"
        "from app.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('app.bench') or m in ('numpy', 'PIL'))\n"
        "from app.core.tasks import registry\n"
        "print('LOADED', loaded, 'bench_noop' in str(vars(registry)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=_cli_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "LOADED [] False" in result.stdout, result.stdout


def test_bench_lists_names_and_runs_a_benchmark_parser(capsys):
    from app.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "ingest" in out and "embed" in out and "no-op tasks" in out
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "tasks", "--help"])
    assert exit_.value.code == 0 and "--count" in capsys.readouterr().out


def _string_constants_outside_docstrings(tree: ast.AST):
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_messages_point_to_help_not_to_source_files():
    """Users have `shoebox --help`, not our source tree: no message names a file such as docs/FORMATS.md."""
    import re

    source_path = re.compile(r"\b(docs|app|migrations|tests)/[\w/.-]+\.(md|py|ini)\b")
    offenders = []
    for path in sorted((REPO / "app").rglob("*.py")):
        if "bench" in path.parts:
            continue  # developer tools
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _string_constants_outside_docstrings(tree):
            if source_path.search(node.value):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value[:80]}")
    assert offenders == []
