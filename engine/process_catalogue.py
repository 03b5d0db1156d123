"""The process owners' catalogue: every deployed process, its versions, running-case counts,
and the decision tables and forms that belong to it.

Read-only, and household-free by construction: it counts instances and never reads their
data. A deployment bundles every process; a process's *own* files are its BPMN file, the DMN
files that hold the decisions its business rule tasks call, and its user tasks' forms. Their
names and sha256 give the process's content hash, so two deployments in which a process did not
change show the same hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bundles import BPMN_NS, SPIFF_NS, parse_xml
from engine.deployments import live_definitions
from engine.errors import NotFound
from engine.models import Deployment, DeploymentFile, ProcessDefinition, ProcessInstance

#: Instances that still run (and so can be migrated): everything not finished.
RUNNING_STATUSES = ("running", "waiting", "suspended", "error")
_PARSE_LIMIT = 50_000_000  # stored files passed the deploy size check already


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    name: str
    live_version: int
    deployed_at: datetime
    deployed_by: str | None
    versions: int
    running: int


@dataclass(frozen=True)
class VersionRow:
    version: int
    definition_id: int
    deployment_id: int
    created_at: datetime
    created_by: str | None
    change_note: str | None
    content_hash: str
    #: the process's own files differ from the previous version that has it
    changed: bool
    running: int


@dataclass(frozen=True)
class DmnRule:
    rule_id: str
    inputs: list[str]
    outputs: list[str]
    description: str


@dataclass(frozen=True)
class DecisionTable:
    file_name: str
    decision_id: str
    name: str
    hit_policy: str
    inputs: list[str]
    outputs: list[str]
    rules: list[DmnRule]


@dataclass(frozen=True)
class FormField:
    name: str
    title: str
    type: str
    required: bool
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FormView:
    file_name: str
    task_ids: list[str]
    title: str
    fields: list[FormField]


@dataclass(frozen=True)
class ProcessFiles:
    """The files of one process in one deployment, by name."""

    bpmn_name: str
    bpmn: bytes
    dmn: dict[str, bytes]
    forms: dict[str, bytes]

    def content_hash(self) -> str:
        return content_hash({self.bpmn_name: self.bpmn, **self.dmn, **self.forms})


def content_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).hexdigest().encode()
                      + b"\n")
    return digest.hexdigest()


# --- queries -----------------------------------------------------------------------------------

def list_processes(session: Session) -> list[ProcessSummary]:
    """Every deployed process with its live version: three queries, whatever the case count."""
    live = live_definitions(session)
    versions = dict(session.execute(
        select(ProcessDefinition.process_id, func.count())
        .group_by(ProcessDefinition.process_id)).tuples().all())
    running = dict(session.execute(
        select(ProcessInstance.process_id, func.count())
        .where(ProcessInstance.status.in_(RUNNING_STATUSES))
        .group_by(ProcessInstance.process_id)).tuples().all())
    deployments = {d.id: d for d in session.scalars(select(Deployment).where(
        Deployment.id.in_({d.deployment_id for d in live})))}
    result = [ProcessSummary(d.process_id, d.name, deployments[d.deployment_id].version,
                             deployments[d.deployment_id].created_at,
                             deployments[d.deployment_id].created_by,
                             versions.get(d.process_id, 0), running.get(d.process_id, 0))
              for d in live]
    return sorted(result, key=lambda s: s.name.lower())


def running_by_definition(session: Session, process_id: str) -> dict[int, int]:
    return dict(session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.process_id == process_id,
               ProcessInstance.status.in_(RUNNING_STATUSES))
        .group_by(ProcessInstance.definition_id)).tuples().all())


def versions(session: Session, process_id: str) -> list[VersionRow]:
    """Every version of the process, newest first.

    :raise NotFound: no deployment holds the process.
    """
    rows = session.execute(
        select(ProcessDefinition, Deployment)
        .join(Deployment, Deployment.id == ProcessDefinition.deployment_id)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(Deployment.version)).tuples().all()
    if not rows:
        raise NotFound(f"no deployed process with id '{process_id}'")
    running = running_by_definition(session, process_id)
    result: list[VersionRow] = []
    previous: str | None = None
    for definition, deployment in rows:
        digest = process_files(session, definition).content_hash()
        result.append(VersionRow(
            deployment.version, definition.id, deployment.id, deployment.created_at,
            deployment.created_by, deployment.change_note, digest,
            previous is not None and digest != previous, running.get(definition.id, 0)))
        previous = digest
    return list(reversed(result))


def definition_at(session: Session, process_id: str, version: int) -> ProcessDefinition:
    """The process's definition in deployment ``version``.

    :raise NotFound: that deployment does not hold the process.
    """
    found = session.scalars(
        select(ProcessDefinition).join(Deployment)
        .where(ProcessDefinition.process_id == process_id, Deployment.version == version)
    ).first()
    if found is None:
        raise NotFound(f"process '{process_id}' has no version {version}")
    return found


def deployment_version(session: Session, definition: ProcessDefinition) -> int:
    return int(session.scalar(select(Deployment.version).where(
        Deployment.id == definition.deployment_id)) or 0)


def process_files(session: Session, definition: ProcessDefinition) -> ProcessFiles:
    """The BPMN, DMN and form files of ``definition`` (see the module docstring)."""
    files = dict(session.execute(
        select(DeploymentFile.name, DeploymentFile.content)
        .where(DeploymentFile.deployment_id == definition.deployment_id)).tuples().all())
    bpmn = files[definition.file_name]
    called = called_decisions(bpmn, definition.process_id)
    dmn: dict[str, bytes] = {}
    if called:
        for name, content in files.items():
            if name.endswith(".dmn") and called & set(_decision_ids(name, content)):
                dmn[name] = content
    forms = {name: files[name] for name in sorted(set(definition.forms.values()))
             if name in files}
    return ProcessFiles(definition.file_name, bpmn, dmn, forms)


# --- reading the files ------------------------------------------------------------------------

def process_element(bpmn: bytes, process_id: str) -> etree._Element:
    root = parse_xml("process.bpmn", bpmn, _PARSE_LIMIT).getroot()
    for proc in root.iter(f"{{{BPMN_NS}}}process"):
        if proc.get("id") == process_id:
            return proc
    raise NotFound(f"process '{process_id}' is not in its file")


def called_decisions(bpmn: bytes, process_id: str) -> set[str]:
    proc = process_element(bpmn, process_id)
    return {(e.text or "").strip() for e in proc.iter(f"{{{SPIFF_NS}}}calledDecisionId")
            if (e.text or "").strip()}


def _decision_ids(name: str, content: bytes) -> list[str]:
    root = parse_xml(name, content, _PARSE_LIMIT).getroot()
    return [d.get("id", "") for d in root.iter("{*}decision")]


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    return (element.findtext(path) or "").strip()


def decision_tables(name: str, content: bytes) -> list[DecisionTable]:
    """The decision tables of a DMN file, cells as written (Python expressions)."""
    root = parse_xml(name, content, _PARSE_LIMIT).getroot()
    tables: list[DecisionTable] = []
    for decision in root.iter("{*}decision"):
        table = decision.find("{*}decisionTable")
        if table is None:
            continue
        inputs = [i.get("label") or _text(i, "{*}inputExpression/{*}text")
                  for i in table.findall("{*}input")]
        outputs = [o.get("label") or o.get("name") or ""
                   for o in table.findall("{*}output")]
        rules = [DmnRule(
            rule.get("id", ""),
            [_text(e, "{*}text") for e in rule.findall("{*}inputEntry")],
            [_text(e, "{*}text") for e in rule.findall("{*}outputEntry")],
            _text(rule, "{*}description"))
            for rule in table.findall("{*}rule")]
        tables.append(DecisionTable(name, decision.get("id", ""),
                                    decision.get("name") or decision.get("id", ""),
                                    table.get("hitPolicy", "UNIQUE"), inputs, outputs, rules))
    return tables


def form_fields(schema: Any) -> list[FormField]:
    """The top-level fields of a JSON Schema form, in schema order."""
    if not isinstance(schema, dict):
        return []
    required = set(schema.get("required") or [])
    fields: list[FormField] = []
    for name, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type", "")
        kind = "/".join(kind) if isinstance(kind, list) else str(kind)
        if spec.get("format"):
            kind = f"{kind} ({spec['format']})"
        choices = [str(v) for v in spec.get("enum") or []]
        fields.append(FormField(name, str(spec.get("title") or name), kind, name in required,
                                choices))
    return fields


def forms(definition: ProcessDefinition, files: ProcessFiles) -> list[FormView]:
    by_file: dict[str, list[str]] = {}
    for task_id, name in sorted(definition.forms.items()):
        by_file.setdefault(name, []).append(task_id)
    result: list[FormView] = []
    for name, content in sorted(files.forms.items()):
        try:
            schema = json.loads(content)
        except ValueError:
            schema = {}
        title = str(schema.get("title") or name) if isinstance(schema, dict) else name
        result.append(FormView(name, by_file.get(name, []), title, form_fields(schema)))
    return result


@dataclass(frozen=True)
class ProcessPage:
    """What the process page shows of one version."""

    process_id: str
    name: str
    version: VersionRow
    versions: list[VersionRow]
    decision_tables: list[DecisionTable]
    forms: list[FormView]


def process_page(session: Session, process_id: str, version: int | None = None) -> ProcessPage:
    """The process at ``version`` (default: the live one) with all its versions.

    :raise NotFound: unknown process or version.
    """
    rows = versions(session, process_id)
    chosen = rows[0] if version is None else next((r for r in rows if r.version == version),
                                                  None)
    if chosen is None:
        raise NotFound(f"process '{process_id}' has no version {version}")
    definition = session.get(ProcessDefinition, chosen.definition_id)
    assert definition is not None
    files = process_files(session, definition)
    tables = [t for name, content in sorted(files.dmn.items())
              for t in decision_tables(name, content)]
    return ProcessPage(process_id, definition.name, chosen, rows, tables,
                       forms(definition, files))


def diagram(session: Session, process_id: str, version: int) -> bytes:
    """The BPMN file of the process at ``version``, for the diagram viewer."""
    definition = definition_at(session, process_id, version)
    return process_files(session, definition).bpmn
