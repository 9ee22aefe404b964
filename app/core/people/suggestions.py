""""Is this Alice?": faces without a person, and unnamed people, that are close to a named person.

Clustering leaves a face unassigned when it is not close enough to anyone (the match distance keeps precision
first), and keeps an unnamed group apart from a named person when their faces are not close enough to join.
Many of those are the named person seen at a bad angle: asking costs the user one click and makes no wrong
merge on its own. Closeness is average linkage, the mean cosine distance between the candidate's faces and the
person's faces, computed exactly from mean vectors (mean(a_i . b_j) = mean(a) . mean(b)): a single lucky
look-alike face cannot make a suggestion, a person's whole appearance must be close. The cut-off is the match
distance plus SUGGEST_MARGIN: for YuNet+SFace 0.6, under the smallest distance measured between two different
people's faces (0.62, docs/PEOPLE.md), so nearly every question has the answer Yes.

A "No" records the person as rejected on the faces (PeopleService.reject), so the question is not asked again;
a "Yes" assigns the faces (PeopleService.assign). Both are one undo step for a whole bulk answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from app.core.db.models import Face, Person
from app.core.people.backends import active_model, match_distance
from app.core.people.cluster_task import load_faces

if TYPE_CHECKING:
    from app.core.library import Library

SUGGEST_MARGIN = 0.1  # over the match distance: looser than joining, still under the strangers' distances
CHUNK = 4096  # candidates compared with every named person at a time (bounded memory)


@dataclass(frozen=True)
class Suggestion:
    """Ask whether `face_ids` (one unassigned face, or all faces of the unnamed person `source_id`) show the
    named person `person_id`."""

    person_id: int
    name: str
    face_ids: tuple[int, ...]
    source_id: int | None
    distance: float
    face_id: int  # the face to show (the candidate's best)
    crop: str | None


def suggestions(library: "Library", *, limit: int = 500) -> list[Suggestion]:
    """Open questions, most certain first."""
    model_id = active_model(library)
    with library.db.read_session() as s:
        faces = load_faces(s, model_id)
        named = dict(s.execute(select(Person.id, Person.name).where(Person.name.is_not(None),
                                                                      Person.hidden.is_(False))).all())
        unnamed = set(s.scalars(select(Person.id).where(Person.name.is_(None))))
        extra = {fid: (crop, size) for fid, crop, size in s.execute(
            select(Face.id, Face.crop, Face.size_px).where(Face.model_id == model_id, Face.forgotten.is_(False)))}
    if not named or not len(faces.ids):
        return []
    cutoff = match_distance(library, model_id) + SUGGEST_MARGIN

    person_ids = np.array(sorted(named))
    person_means = np.stack([faces.vectors[faces.person == p].mean(axis=0) if (faces.person == p).any()
                             else np.zeros(faces.vectors.shape[1], np.float32) for p in person_ids])
    has_faces = np.array([(faces.person == p).any() for p in person_ids])

    # Candidates: each unassigned face alone, and each unnamed person's faces together.
    groups: list[tuple[int | None, np.ndarray]] = [(None, np.array([i])) for i in np.flatnonzero(faces.person < 0)]
    for person in sorted(unnamed):
        members = np.flatnonzero(faces.person == person)
        if len(members):
            groups.append((person, members))
    out: list[Suggestion] = []
    for start in range(0, len(groups), CHUNK):
        chunk = groups[start:start + CHUNK]
        means = np.stack([faces.vectors[members].mean(axis=0) for _, members in chunk])
        distances = 1.0 - means @ person_means.T  # average linkage, candidates x named people
        distances[:, ~has_faces] = np.inf
        for row, (source, members) in enumerate(chunk):
            rejected = set().union(*(faces.rejected[i] for i in members))
            order = np.argsort(distances[row])
            for column in order[:3]:
                person = int(person_ids[column])
                if distances[row, column] >= cutoff:
                    break
                if person in rejected:
                    continue
                ids = tuple(int(faces.ids[i]) for i in members)
                shown = max(ids, key=lambda f: (extra.get(f, (None, 0))[0] is not None, extra.get(f, (None, 0))[1] or 0))
                crop = extra.get(shown, (None, 0))[0]
                out.append(Suggestion(person, named[person], ids, source, float(distances[row, column]), shown,
                                      str(library.layout.faces / crop) if crop else None))
                break
    out.sort(key=lambda q: (q.distance, q.face_id))
    return out[:limit]


def answer(library: "Library", yes: list[Suggestion], no: list[Suggestion]) -> None:
    """Apply a bulk answer: Yes assigns the faces to the person, No rejects the person for them (one undo step
    each)."""
    people = library.people
    if yes:
        people.assign({face: q.person_id for q in yes for face in q.face_ids})
    if no:
        people.reject({face: q.person_id for q in no for face in q.face_ids})
