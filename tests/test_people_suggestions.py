"""Suggestions ("Is this Alice?"), the assign/reject operations behind their Yes/No (one undo step per bulk
answer), the People view's reads (cards, a person's photos, a photo's faces) and person: in search, on real
faces from ../shared/faces."""

from __future__ import annotations

import pytest
from people_library import ALICE, BOB, OTHERS, faces_library_built, faces_root, main_faces, needs_faces, person_of  # noqa: F401
from sqlalchemy import update

pytestmark = needs_faces


@pytest.fixture
def lib(faces_root):
    from app.core.library import Library

    library = Library.open(faces_root)
    yield library
    library.close()


def _detach(lib, face_ids, person=None):
    """Put faces where clustering might have left them: without a person, or in an unnamed person of their own."""
    from app.core.db.models import Face, Person

    with lib.db.write_session() as s:
        if person == "new":
            row = Person(name=None, hidden=False, created_at=0.0)
            s.add(row)
            s.flush()
            person = row.id
        s.execute(update(Face).where(Face.id.in_(face_ids)).values(person_id=person, confirmed=False))
    return person


def test_an_unassigned_face_close_to_a_named_person_is_suggested_and_yes_assigns_it(lib):
    from app.core.people.suggestions import answer, suggestions

    alice = person_of(lib, ALICE)
    lib.people.rename(alice, "Alice")
    stray = main_faces(lib, ALICE[:1])[0]["id"]
    _detach(lib, [stray])
    questions = suggestions(lib)
    assert [(q.face_ids, q.name, q.source_id) for q in questions] == [((stray,), "Alice", None)]
    assert questions[0].distance < 0.6 and questions[0].crop.endswith(".jpg")
    answer(lib, yes=questions, no=[])
    assert {f["id"]: f["person_id"] for f in lib.people.faces()}[stray] == alice
    assert suggestions(lib) == []
    assert lib.people.undo() == "assign"
    assert {f["id"]: f["person_id"] for f in lib.people.faces()}[stray] is None


def test_no_is_remembered_and_strangers_are_not_suggested(lib):
    from app.core.people.suggestions import answer, suggestions

    lib.people.rename(person_of(lib, ALICE), "Alice")
    lib.people.rename(person_of(lib, BOB), "Bob")
    stray = main_faces(lib, BOB[:1])[0]["id"]
    _detach(lib, [stray])
    questions = suggestions(lib)
    assert [(q.face_ids, q.name) for q in questions] == [((stray,), "Bob")]  # OTHERS' faces: nobody's
    answer(lib, yes=[], no=questions)
    assert suggestions(lib) == []
    assert {f["id"]: f["person_id"] for f in lib.people.faces()}[stray] is None
    assert lib.people.undo() == "reject"
    assert len(suggestions(lib)) == 1


def test_a_small_unnamed_group_close_to_a_named_person_is_one_question(lib):
    from app.core.people.suggestions import answer, suggestions

    alice = person_of(lib, ALICE)
    lib.people.rename(alice, "Alice")
    pair = [f["id"] for f in main_faces(lib, ALICE[:2])]
    unnamed = _detach(lib, pair, "new")
    (question,) = suggestions(lib)
    assert question.source_id == unnamed and set(question.face_ids) == set(pair) and question.name == "Alice"
    answer(lib, yes=[question], no=[])
    assert unnamed not in {p["id"] for p in lib.people.people()}  # emptied unnamed person is gone
    assert lib.people.undo() == "assign"
    assert unnamed in {p["id"] for p in lib.people.people()}  # and back with undo
    assert {f["person_id"] for f in lib.people.faces() if f["id"] in pair} == {unnamed}


def test_cards_photos_and_faces_of_a_photo(lib):
    from app.core.people.operations import PeopleError

    alice, bob = person_of(lib, ALICE), person_of(lib, BOB)
    lib.people.rename(bob, "Bob")
    cards = lib.people.cards()
    assert [c.id for c in cards][:2] == [bob, alice]  # named first, then unnamed by size
    assert cards[0].name == "Bob" and cards[0].photo_count == 3 and cards[0].crop.endswith(".jpg")
    assert len(lib.people.photo_ids(alice)) == 4
    photo = main_faces(lib, BOB[:1])[0]["photo_id"]
    faces = lib.people.face_infos(photo_id=photo)
    assert any(f.person_name == "Bob" for f in faces)
    assert lib.people.find_named("bob") == bob and lib.people.find_named("Bob", other_than=bob) is None
    assert lib.people.names() == ["Bob"]
    lib.people.hide(alice)
    assert alice not in {c.id for c in lib.people.cards(include_hidden=False)}
    with pytest.raises(PeopleError):
        lib.people.assign({10**6: alice})


def test_person_filter_in_search(lib):
    from app.core.search.errors import QueryError
    from app.core.search.query import run_query

    bob = person_of(lib, BOB)
    lib.people.rename(bob, "Bob Smith")
    bob_photos = {f["photo_id"] for f in main_faces(lib, BOB)}
    assert set(run_query(lib, 'person:"bob smith"')) == bob_photos
    assert set(run_query(lib, '-person:"Bob Smith" has:faces')) == set(lib.photos.ordered_ids()) - bob_photos
    with pytest.raises(QueryError, match="no person named 'Carol'"):
        run_query(lib, "person:Carol")


def test_tight_pairs_make_a_person_of_two_and_loose_ones_do_not():
    """A person seen in only two photos (too few for a density group of 3) is found when the two faces are
    each other's nearest and far closer than the match distance; a looser pair or a stranger stays alone."""
    import numpy as np

    from app.core.people.cluster import density_groups

    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 64))
    base /= np.linalg.norm(base, axis=1, keepdims=True)

    def at(v, distance):  # a unit vector at this cosine distance from v
        other = rng.standard_normal(64)
        other -= (other @ v) * v
        other /= np.linalg.norm(other)
        sim = 1 - distance
        return sim * v + np.sqrt(1 - sim ** 2) * other

    vectors = np.stack([base[0], at(base[0], 0.3), base[1], at(base[1], 0.45), base[2], base[3]])
    labels = density_groups(vectors, min_size=3, distance=0.5, pair_distance=0.4)
    assert labels[0] == labels[1] >= 0  # tight pair: a person
    assert (labels[2:] == -1).all()  # 0.45 apart: too loose alone; strangers alone
    assert (density_groups(vectors, min_size=3, distance=0.5, pair_distance=0.0) == -1).all()


def test_a_person_in_two_real_photos_becomes_a_person(tmp_path):
    import shutil

    from people_library import FACES, photo_ids

    from app.core.library import Library

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("img20.jpg", "img21.jpg", "img16.jpg", "img22.jpg"):  # 20 and 21: one person (master.csv)
        shutil.copy(FACES / name, folder / name)
    with Library.open(tmp_path / "lib", create=True) as lib:
        lib.importer.import_paths([folder], progress=False)
        lib.tasks.run_until_idle()
        ids = photo_ids(lib)
        person = {f["photo_id"]: f["person_id"] for f in lib.people.faces() if f["box"][2] > 100}
        assert person[ids["img20.jpg"]] == person[ids["img21.jpg"]] is not None
        assert person[ids["img16.jpg"]] is None and person[ids["img22.jpg"]] is None
