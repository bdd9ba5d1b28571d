"""The store on SQLite and on a real PostgreSQL server: schema, registry, rounds, ingest."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.assignments import State
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import RegistryError, import_registry
from pvpp.rounds import RoundError, create_round
from pvpp.store import db
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    Institution,
    RegistryImport,
    StoredFile,
    Submission,
    Transition,
)
from pvpp.submissions import Outcome, ingest_paths
from pvpp.workbook.fill import fill_workbook

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICY = load_policy("pvpp2027-v1")


def count(root: App, model: Any) -> int:
    with root.db.unit_of_work() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_commands_refuse_a_store_without_schema(empty_store: None, root: App) -> None:
    with (
        pytest.raises(db.SchemaBehind, match=r"has no schema yet.*pvpp db upgrade"),
        root.db.unit_of_work(),
    ):
        pass
    before, after = root.db.upgrade()
    assert before is None and after == db.head_revision()
    assert root.db.upgrade() == (after, after)
    with root.db.unit_of_work() as s:
        assert s.exec(select(Institution)).all() == []


def test_the_schema_is_asked_until_found_current_then_not_again(
    empty_store: None, root: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str | None] = []
    real = db.current_revision

    def counting(eng: Any) -> str | None:
        asked.append(real(eng))
        return asked[-1]

    monkeypatch.setattr(db, "current_revision", counting)
    with pytest.raises(db.SchemaBehind), root.db.reading():
        pass
    root.db.upgrade()
    asked.clear()
    for _ in range(3):
        with root.db.unit_of_work():
            pass
        with root.db.reading():
            pass
    assert asked == [db.head_revision()]  # the portal's requests do not ask again
    root.db.dispose()  # a disposed store is checked again when next used
    with root.db.reading():
        pass
    assert len(asked) == 2


def test_registry_import_is_idempotent_and_records_changes(
    store: str, tmp_path: Path, root: App
) -> None:
    with root.db.unit_of_work() as s:
        report = import_registry(s, EXAMPLES / "registry.xlsx", POLICY, settings=root.settings)
    assert len(report.created) == 42
    with root.db.unit_of_work() as s:
        again = import_registry(s, EXAMPLES / "registry.xlsx", POLICY, settings=root.settings)
    assert not again.changed and len(again.unchanged) == 42
    assert count(root, RegistryImport) == 1

    changed = tmp_path / "registry.csv"
    text = (EXAMPLES / "registry.csv").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("VID,"))
    new_row = row.replace("round1", "voluntary")
    changed.write_text(text.replace(row, new_row), encoding="utf-8")
    with root.db.unit_of_work() as s:
        report = import_registry(s, changed, POLICY, settings=root.settings)
    assert report.updated == {"VID": {"scope": ["round1", "voluntary"]}}
    with root.db.unit_of_work() as s:
        assert (
            s.exec(select(Institution).where(Institution.code == "VID")).one().scope == "voluntary"
        )
        latest = s.exec(select(RegistryImport).order_by(RegistryImport.id.desc())).first()
        assert latest.changes["updated"]["VID"] == {"scope": ["round1", "voluntary"]}
        assert s.exec(select(AuditLog).where(AuditLog.action == "registry.import")).all()


def test_registry_reports_every_bad_row_and_changes_nothing(
    store: str, tmp_path: Path, root: App
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,group,subtype,parent,head_name,head_email,scope,exclusion,roles\n"
        "VID,Valsts ieņēmumu dienests,IG1,IG1.1,FM,Jānis Ozols,janis@vid.example.org,round1,,"
        "service_holder\n"
        "vid2,X,IG9,,,A B,not-an-email,round3,,\n"
        "SKOLA,Skola,IG2,IG2.2,,C D,c.d@skola.example.org,excluded,,wizard\n"
        "VID,Dublikāts,IG1,IG3.1,,E F,e@f.example.org,round1,4.1.5.1,\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as info, root.db.unit_of_work() as s:
        import_registry(s, bad, POLICY, settings=root.settings)
    problems = info.value.problems
    expected = [
        "row 2, column parent: 'FM' is neither in this file nor in the registry",
        "row 3, column code: 'vid2' is not an institution code: an institution code is 1 to 40",
        "row 3, column group: 'IG9' is not a table-1 group",
        "row 3, column head_email: 'not-an-email' is not an email address: must contain",
        "row 3, column scope: 'round3' must be one of",
        "row 4, column exclusion: an excluded institution needs the 4.1.5 reason",
        "row 4, column roles: 'wizard' is not a role",
        "row 5, column code: 'VID' is also on row 2",
        "row 5, column subtype: 'IG3.1' is not a sub-type of IG1",
        "row 5, column exclusion: given, but scope is 'round1'",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), (text, problems)
    assert count(root, Institution) == 0
    assert count(root, RegistryImport) == 0


@pytest.fixture
def round_store(store: str, root: App) -> str:
    with root.db.unit_of_work() as s:
        import_registry(s, EXAMPLES / "registry.xlsx", POLICY, settings=root.settings)
        create_round(
            s,
            code="2026-K1",
            opens_on=date(2026, 1, 15),
            due_on=date(2026, 3, 31),
            questionnaire_version="pvpp2027-q1",
        )
    return store


def test_round_applies_rv1_rules(round_store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        report = create_round(
            s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
            questionnaire_version="pvpp2027-q1",
        )  # fmt: skip
    assert not report.created
    assert report.skipped == {
        "NBS": "excluded:4.1.5.3",
        "PSKUS": "excluded:4.1.5.2",
        "RPAB": "no_role",
        "RV1G": "excluded:4.1.5.1",
        "VDD": "excluded:4.1.5.4",
    }
    assert len(report.assigned) == 37
    assert report.flagged["VID"] == [
        "no_team",
        "no_training_P1.1",
        "no_training_P1.3",
        "no_training_P2.2",
    ]
    assert count(root, Assignment) == 37
    assert count(root, Transition) == 37
    with (
        pytest.raises(RoundError, match="already exists with other dates"),
        root.db.unit_of_work() as s,
    ):
        create_round(
            s, code="2026-K1", opens_on=date(2026, 1, 16), due_on=date(2026, 3, 31),
            questionnaire_version="pvpp2027-q1",
        )  # fmt: skip
    with pytest.raises(RoundError, match="must be after"), root.db.unit_of_work() as s:
        create_round(
            s, code="2026-K2", opens_on=date(2026, 3, 1), due_on=date(2026, 2, 1),
            questionnaire_version="pvpp2027-q1",
        )  # fmt: skip


def _write_round_workbooks(
    root: App, spec: QuestionnaireSpec, folder: Path, codes: list[str]
) -> dict[str, Path]:
    with root.db.unit_of_work() as s:
        names = {i.code: i.name for i in s.exec(select(Institution)).all()}
    books = filled_workbooks(
        spec, [(c, names[c]) for c in codes], round_code="2026-K1", key=root.settings.signing_key()
    )
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for code, data in books.items():
        out[code] = folder / f"{code}.xlsx"
        out[code].write_bytes(data)
    return out


def test_ingest_matches_stores_and_supersedes(
    round_store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    files = _write_round_workbooks(root, spec, tmp_path / "in", ["VID", "UR", "VARAM"])
    good = files["VID"].read_bytes()
    # UR returns a workbook with a typed-in value outside the list.
    files["UR"].write_bytes(fill_workbook(files["UR"].read_bytes(), {"Q_K2_D2": "ļoti labi"}))
    # VARAM returns it half done.
    files["VARAM"].write_bytes(fill_workbook(files["VARAM"].read_bytes(), {"Q_S1_D1": None}))
    (tmp_path / "in" / "notes.txt").write_text("not a workbook")
    junk = tmp_path / "in" / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 broken")

    rows = {r.file: r for r in ingest_paths([tmp_path / "in"], settings=root.settings, db=root.db)}
    assert rows["VID.xlsx"].outcome is Outcome.ACCEPTED
    assert rows["UR.xlsx"].outcome is Outcome.REJECTED and "ļoti labi" in rows["UR.xlsx"].detail
    assert rows["VARAM.xlsx"].outcome is Outcome.INCOMPLETE
    assert rows["junk.xlsx"].outcome is Outcome.REJECTED
    assert "notes.txt" not in rows

    with root.db.unit_of_work() as s:
        states = {
            i.code: a.state
            for a, i in s.exec(select(Assignment, Institution).join(Institution)).all()
            if i.code in ("VID", "UR", "VARAM")
        }
        assert states == {"VID": "accepted", "UR": "returned", "VARAM": "returned"}
        ur = s.exec(select(Institution).where(Institution.code == "UR")).one()
        ur_assignment = s.exec(select(Assignment).where(Assignment.institution_id == ur.id)).one()
        trail = s.exec(
            select(Transition)
            .where(Transition.assignment_id == ur_assignment.id)
            .order_by(Transition.id)
        ).all()
        assert [t.to_state for t in trail] == ["invited", "submitted", "returned"]
        assert "ļoti labi" in trail[-1].reason
        # Every received file is kept as received, the rejected ones too.
        for record in s.exec(select(StoredFile)).all():
            assert root.files.path(record.sha256).exists()
        stored_vid = s.exec(select(Submission).where(Submission.filename == "VID.xlsx")).one()
        assert root.files.path(stored_vid.file_sha256).read_bytes() == good

    # The same files again: recognised, nothing stored twice.
    stored_before = count(root, StoredFile)
    again = ingest_paths([tmp_path / "in"], settings=root.settings, db=root.db)
    assert {r.outcome for r in again} == {Outcome.DUPLICATE}
    assert count(root, Submission) == 4 and count(root, StoredFile) == stored_before

    # UR corrects its workbook: accepted, superseding the rejected one; both kept.
    fixed = tmp_path / "fixed" / "UR.xlsx"
    fixed.parent.mkdir()
    fixed.write_bytes(
        fill_workbook(files["UR"].read_bytes(), {"Q_K2_D2": spec.degree_label(2, "lv")})
    )
    (row,) = ingest_paths([fixed], settings=root.settings, db=root.db)
    assert row.outcome is Outcome.ACCEPTED
    with root.db.unit_of_work() as s:
        subs = s.exec(
            select(Submission)
            .where(Submission.assignment_id == ur_assignment.id)
            .order_by(Submission.id)
        ).all()
        assert [x.status for x in subs] == ["rejected", "accepted"]
        assert subs[1].supersedes_id == subs[0].id
        assert s.get(Assignment, ur_assignment.id).state == State.ACCEPTED
        assert (
            len(s.exec(select(AnswerSet).where(AnswerSet.assignment_id == ur_assignment.id)).all())
            == 1
        )

    # VID sends a correction of an accepted workbook: a second answer set supersedes the first.
    corrected = tmp_path / "fixed" / "VID.xlsx"
    corrected.write_bytes(fill_workbook(good, {"COMMENT_K1": "Labots 2026. gada martā."}))
    (row,) = ingest_paths([corrected], settings=root.settings, db=root.db)
    assert row.outcome is Outcome.ACCEPTED
    with root.db.unit_of_work() as s:
        vid = s.exec(select(Institution).where(Institution.code == "VID")).one()
        assignment = s.exec(select(Assignment).where(Assignment.institution_id == vid.id)).one()
        sets = s.exec(
            select(AnswerSet).where(AnswerSet.assignment_id == assignment.id).order_by(AnswerSet.id)
        ).all()
        assert len(sets) == 2 and sets[1].supersedes_id == sets[0].id
        assert sets[1].answers["COMMENT_K1"] == "Labots 2026. gada martā."
        assert "COMMENT_K1" not in sets[0].answers


def test_a_failure_mid_ingest_loses_nothing_and_a_rerun_finishes(
    round_store: str,
    spec: QuestionnaireSpec,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    root: App,
) -> None:
    files = _write_round_workbooks(root, spec, tmp_path / "in", ["VID", "UR", "VZD"])
    import pvpp.submissions as subs

    real = subs.transition
    calls = {"n": 0}

    def flaky(session, assignment, to, **kw):
        if to is State.ACCEPTED:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("power cut")
        return real(session, assignment, to, **kw)

    monkeypatch.setattr(subs, "transition", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        ingest_paths([tmp_path / "in"], settings=root.settings, db=root.db)
    # The first file is in; the second left no trace (no row, no half-moved assignment).
    assert count(root, Submission) == 1
    assert count(root, AnswerSet) == 1
    with root.db.unit_of_work() as s:
        assert sorted(a.state for a in s.exec(select(Assignment)).all()).count("submitted") == 0

    monkeypatch.setattr(subs, "transition", real)
    rows = ingest_paths([tmp_path / "in"], settings=root.settings, db=root.db)
    assert sorted(r.outcome.value for r in rows) == ["accepted", "accepted", "duplicate"]
    assert count(root, Submission) == 3 and count(root, AnswerSet) == 3
    assert len(files) == 3


def test_a_copy_stands_in_for_its_twin_that_could_not_be_read(
    round_store: str,
    spec: QuestionnaireSpec,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    root: App,
) -> None:
    """Two copies of one workbook in a batch are checked once; when the first cannot be read
    by the time it is checked, the second is read and stored in its place."""
    import pvpp.submissions as subs

    files = _write_round_workbooks(root, spec, tmp_path / "in", ["VID"])
    twin = tmp_path / "in" / "VID_copy.xlsx"  # after VID.xlsx in name order
    shutil.copy(files["VID"], twin)
    real = subs._read_and_check

    def gone_first(path: Path, **kw: Any) -> Any:
        if path == files["VID"]:
            return "cannot read: No such file or directory"
        return real(path, **kw)

    monkeypatch.setattr(subs, "_read_and_check", gone_first)
    rows = {
        Path(r.file).name: r
        for r in ingest_paths([tmp_path / "in"], settings=root.settings, db=root.db)
    }
    assert rows["VID.xlsx"].outcome is Outcome.REJECTED
    assert rows["VID.xlsx"].detail == "cannot read: No such file or directory"
    assert rows["VID_copy.xlsx"].outcome is Outcome.ACCEPTED
    assert count(root, Submission) == 1


def test_stored_file_survives_as_received(
    round_store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    files = _write_round_workbooks(root, spec, tmp_path / "in", ["VID"])
    ingest_paths([files["VID"]], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        submission = s.exec(select(Submission)).one()
        record = s.get(StoredFile, submission.file_sha256)
    copy = tmp_path / "copy.xlsx"
    shutil.copy(root.files.path(record.sha256), copy)
    assert copy.read_bytes() == files["VID"].read_bytes()


@pytest.mark.parametrize("code", ["2026-K1\n", "2026-K1\u2028", "2026 K1"])
def test_a_round_code_without_the_shape_is_refused(store: str, root: App, code: str) -> None:
    refused = pytest.raises(RoundError, match=r"round code: .* a round code is 1 to 40")
    with refused, root.db.unit_of_work() as s:
        create_round(
            s,
            code=code,
            opens_on=date(2026, 1, 15),
            due_on=date(2026, 3, 31),
            questionnaire_version="pvpp2027-q1",
        )


def test_a_snapshot_reads_outside_a_transaction_and_leaves_the_pool_as_it_was(
    store: str, root: App
) -> None:
    """``snapshot`` (a request finding its session) reads without BEGIN and COMMIT on
    PostgreSQL; the connection it used is back in transactions afterwards, so a unit of
    work that fails still rolls back all it wrote."""
    postgres = root.db.url.startswith("postgresql")

    def autocommit(s: Any) -> bool:
        # SQLite's reads run in a deferred BEGIN: never outside a transaction.
        return postgres and bool(s.connection().connection.dbapi_connection.autocommit)

    with root.db.snapshot() as s:
        assert s.exec(select(func.count()).select_from(Institution)).one() == 0
        assert autocommit(s) is postgres
    with pytest.raises(RuntimeError), root.db.unit_of_work() as s:
        assert not autocommit(s)
        s.add(Institution(code="X1", name="X", group_id="G1", head_name="H",
                          head_email="h@x.example", scope="round1"))  # fmt: skip
        s.flush()
        raise RuntimeError("half-way")
    assert count(root, Institution) == 0
