"""Opening a library that is already at the newest schema does not pay for Alembic (a tenth of every command's
start); the revisions it knows are read from the migration files and must agree with Alembic's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core.library import Library, _Migrations

ROOT = Path(__file__).resolve().parents[1]


def test_known_revisions_and_head_agree_with_alembic():
    from alembic.script import ScriptDirectory

    from migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    ours = _Migrations()
    assert ours.known == {rev.revision for rev in script.walk_revisions()}
    assert ours.head == script.get_current_head()


def test_opening_a_library_at_the_newest_schema_does_not_import_alembic(tmp_path):
    Library.open(tmp_path / "lib", log_to_file=False).close()  # made (and migrated) here
    code = (
        "import sys; from app.core.library import Library;"
        f"Library.open({str(tmp_path / 'lib')!r}, log_to_file=False).close();"
        "print('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
