"""The diff a process owner reads (``engine.process_diff``): an attribute left at BPMN's default
is no change (bpmn-js leaves ``cancelActivity="true"`` out of what it saves), and a changed
decision rule is told cell by cell, under its column's label, with its description."""

from __future__ import annotations

from pathlib import Path

from engine import process_catalogue, process_diff

ROOT = Path(__file__).resolve().parents[2] / "processes"


def _files(bpmn: bytes, dmn: dict[str, bytes] | None = None) -> process_catalogue.ProcessFiles:
    return process_catalogue.ProcessFiles("x.bpmn", bpmn, dmn or {}, {})


def test_an_attribute_written_or_left_at_its_default_is_no_change() -> None:
    outreach = (ROOT / "outreach" / "outreach.bpmn").read_bytes()
    assert outreach.count(b' cancelActivity="true"') >= 1
    saved = outreach.replace(b' cancelActivity="true"', b"")
    diff = process_diff.diff_process(_files(outreach), _files(saved), "outreach")
    assert diff.empty
    # a non-default value is still a change
    other = outreach.replace(b' cancelActivity="true"', b' cancelActivity="false"', 1)
    changed = process_diff.diff_process(_files(outreach), _files(other), "outreach")
    assert [(c.key, c.old, c.new) for e in changed.elements for c in e.changes] == [
        ("cancelActivity", None, "false")]


def test_a_changed_rule_names_its_changed_cells_and_description() -> None:
    name = "arrears_case/triage_signal.dmn"
    dmn = (ROOT / name).read_bytes()
    term = b'<outputEntry id="rule_warm_handover_contact_working_days"><text>3</text>'
    note = b"Warme overdracht door de corporatie: contact binnen 3 werkdagen"
    assert term in dmn and note in dmn
    changed = dmn.replace(term, term.replace(b">3<", b">2<")).replace(
        note, note.replace(b"3 werkdagen", b"2 werkdagen"))
    [rule] = process_diff.diff_rules(_files(b"", {name: dmn}), _files(b"", {name: changed}))
    assert (rule.decision_id, rule.rule_id, rule.status) == ("triage_signal",
                                                             "rule_warm_handover", "changed")
    assert [(c.key, c.old, c.new) for c in rule.cells] == [
        ("Eerste contactpoging binnen (werkdagen)", "3", "2"),
        (process_diff.DESCRIPTION, note.decode(), note.decode().replace("3 werkdagen",
                                                                        "2 werkdagen"))]
