"""Backup and restore: a full round trip keeps every listing identical; damaged backups fail verification;
restore never overwrites a library unless told, and never leaves half a library behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from test_albums import run_cli

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
LISTINGS = (("photos", "--json"), ("albums", "list", "--json"), ("people", "list", "--json"),
            ("events", "list", "--json"), ("faces", "list", "--json"))


def _photos(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for n in range(4):
        Image.new("RGB", (320, 240), (n * 50, 120, 200 - n * 40)).save(folder / f"p{n}.jpg", "JPEG")
    for name in ("img1.jpg", "img2.jpg"):  # real people, so the face data travels too (when present)
        if (FACES / name).exists():
            shutil.copy(FACES / name, folder / name)
    return folder


def _listings(capsys, lib) -> dict:
    out = {}
    for argv in LISTINGS:
        code, text, err = run_cli(capsys, lib, *argv)
        assert code == 0, err
        out[argv[0]] = json.loads(text)
    return out


@pytest.fixture
def made(tmp_path, capsys):
    """A library with photos, background work finished, an album and (if faces were found) a named person."""
    lib = tmp_path / "lib"
    folder = _photos(tmp_path / "photos")
    assert run_cli(capsys, lib, "import", str(folder))[0] == 0
    assert run_cli(capsys, lib, "tasks", "run")[0] == 0
    ids = [p["id"] for p in json.loads(run_cli(capsys, lib, "photos", "--json")[1])]
    assert run_cli(capsys, lib, "albums", "create", "Summer", "--photos", ",".join(map(str, ids[:3])))[0] == 0
    people = json.loads(run_cli(capsys, lib, "people", "list", "--json")[1])
    if people:
        assert run_cli(capsys, lib, "people", "rename", str(people[0]["id"]), "Alice")[0] == 0
    return lib


def test_round_trip_keeps_every_listing(made, tmp_path, capsys):
    before = _listings(capsys, made)
    backup = tmp_path / "backup"
    code, out, err = run_cli(capsys, made, "backup", str(backup), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["files"] >= 1 and summary["originals"] == len(before["photos"])
    manifest = json.loads((backup / "manifest.json").read_text())
    assert "shoebox.db" in manifest["files"] and not any(k.startswith("thumbnails/") for k in manifest["files"])

    assert run_cli(capsys, made, "backup", "--verify", str(backup))[0] == 0
    shutil.rmtree(made)
    restored = tmp_path / "restored"
    code, out, err = run_cli(capsys, made, "restore", str(backup), str(restored))
    assert code == 0, err
    after = _listings(capsys, restored)
    for key in ("albums", "people", "events", "faces"):
        assert after[key] == before[key], key
    relative = lambda photos, root: [  # noqa: E731 - thumbnail paths are inside the (moved) library
        {k: v.replace(str(root), "LIB") if k in ("thumbnail", "preview") else v for k, v in p.items()}
        for p in photos]
    assert relative(after["photos"], restored) == relative(before["photos"], made)
    # Thumbnails were left out of the backup; the restored library makes them again.
    assert run_cli(capsys, restored, "import", str(tmp_path / "photos"))[0] == 0
    for photo in json.loads(run_cli(capsys, restored, "photos", "--json")[1]):
        assert Path(photo["thumbnail"]).is_file() and Path(photo["preview"]).is_file()


def test_backup_with_thumbnails_copies_them(made, tmp_path, capsys):
    backup = tmp_path / "backup"
    assert run_cli(capsys, made, "backup", str(backup), "--with-thumbnails")[0] == 0
    assert any(p.suffix == ".jpg" for p in (backup / "thumbnails").rglob("*"))


@pytest.mark.parametrize("damage", ["truncate", "tamper", "delete", "no-manifest"])
def test_damaged_backup_fails_verification_and_restore(made, tmp_path, capsys, damage):
    backup = tmp_path / "backup"
    assert run_cli(capsys, made, "backup", str(backup))[0] == 0
    db = backup / "shoebox.db"
    if damage == "truncate":
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    elif damage == "tamper":
        data = bytearray(db.read_bytes())
        data[-100] ^= 0xFF
        db.write_bytes(bytes(data))
    elif damage == "delete":
        db.unlink()
    else:
        (backup / "manifest.json").unlink()
    code, _, err = run_cli(capsys, made, "backup", "--verify", str(backup))
    assert code == 1
    assert {"truncate": "truncated", "tamper": "hash differs", "delete": "missing",
            "no-manifest": "not a complete Shoebox backup"}[damage] in err
    target = tmp_path / "restored"
    code, _, err = run_cli(capsys, made, "restore", str(backup), str(target))
    assert code == 1 and "restored" not in err.split(":")[0]
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".restore-")]


def test_restore_refuses_an_existing_library_unless_told(made, tmp_path, capsys):
    backup = tmp_path / "backup"
    assert run_cli(capsys, made, "backup", str(backup))[0] == 0
    code, _, err = run_cli(capsys, made, "restore", str(backup), str(made))
    assert code == 1 and "not empty" in err
    assert run_cli(capsys, made, "photos", "--json")[0] == 0  # untouched
    code, out, err = run_cli(capsys, made, "restore", str(backup), str(made), "--replace")
    assert code == 0, err
    kept = [p for p in made.parent.iterdir() if p.name.startswith("lib.before-restore-")]
    assert len(kept) == 1 and (kept[0] / "shoebox.db").is_file()
    assert str(kept[0]) in out


def test_backup_refuses_a_non_empty_folder_and_the_library_itself(made, tmp_path, capsys):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("mine")
    code, _, err = run_cli(capsys, made, "backup", str(busy))
    assert code == 1 and "not empty" in err and (busy / "x.txt").read_text() == "mine"
    code, _, err = run_cli(capsys, made, "backup", str(made / "inside"))
    assert code == 1 and "into itself" in err


def test_backup_is_consistent_while_another_connection_writes(made, tmp_path):
    """The online backup API copies the last committed state while another connection holds a write
    transaction open (a file copy of a WAL database would not be consistent)."""
    import sqlite3

    from app.core.exchange.backup import _snapshot_database

    writer = sqlite3.connect(made / "shoebox.db", timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE photos SET hidden = 1")
    try:
        _snapshot_database(made / "shoebox.db", tmp_path / "snapshot.db")
    finally:
        writer.rollback()
        writer.close()
    snapshot = sqlite3.connect(tmp_path / "snapshot.db")
    try:
        assert snapshot.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert snapshot.execute("SELECT count(*) FROM photos WHERE hidden").fetchone()[0] == 0  # not committed
        assert snapshot.execute("SELECT count(*) FROM photos").fetchone()[0] >= 4
    finally:
        snapshot.close()


def test_verify_reports_changed_and_vanished_originals(made, tmp_path, capsys):
    backup = tmp_path / "backup"
    assert run_cli(capsys, made, "backup", str(backup))[0] == 0
    assert run_cli(capsys, made, "verify", "--backup", str(backup))[0] == 0
    (tmp_path / "photos" / "p0.jpg").unlink()
    Image.new("RGB", (320, 240), (1, 2, 3)).save(tmp_path / "photos" / "p1.jpg", "JPEG")
    code, out, _ = run_cli(capsys, made, "verify", "--backup", str(backup), "--json")
    report = json.loads(out)
    assert code == 1
    assert [Path(p).name for p in report["vanished"]] == ["p0.jpg"]
    assert [Path(p).name for p in report["changed"]] == ["p1.jpg"]
    code, out, _ = run_cli(capsys, made, "verify", "--json")  # against the library's own record
    assert code == 1 and len(json.loads(out)["vanished"]) == 1


def test_full_disk_during_backup_says_so_and_leaves_no_manifest(made, tmp_path, capsys, monkeypatch):
    import errno

    import app.core.exchange.backup as backup_module

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup_module.shutil, "copyfile", full)
    backup = tmp_path / "backup"
    code, _, err = run_cli(capsys, made, "backup", str(backup))
    if code == 0:  # nothing to copy besides the database (no face crops, no index files)
        pytest.skip("this library has no files besides its database to copy")
    assert code == 1 and "disk is full" in err and not (backup / "manifest.json").exists()
    code, _, err = run_cli(capsys, made, "backup", "--verify", str(backup))
    assert code == 1 and "not a complete Shoebox backup" in err
