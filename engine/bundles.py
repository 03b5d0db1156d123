"""Reading and validating a deployment bundle (BPMN, DMN and JSON Schema form files).

Files under ``scenarios/`` are the chain's scenarios (``engine.scenario_format``), checked as
such; every other ``.json`` is a form. Order of checks: size limit, our hardened XML parse
(no DOCTYPE, no entities, no network),
SpiffWorkflow's parser with its XSD validator, then our own rules — user tasks in a lane that
names a role with a form file that exists and is a valid JSON Schema, every script, condition
(sequence flow, loop, conditional event), timer, correlation expression and DMN cell compiles
in the restricted environment, messages and correlation keys are consistent. Every problem
names the file, the element id and its line; all problems are collected, none stops the
others from being reported.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.access import caseworker_lanes
from engine.errors import BundleInvalid, BundleProblem
from engine.sandbox.scripting import check_source
from engine.scenario_format import ScenarioFormatError, is_scenario_file
from engine.scenario_format import parse as parse_scenario

FORM_PROPERTY = "formJsonSchemaFilename"
DUE_PROPERTY = "dueAtVariable"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NS = "http://www.omg.org/spec/DMN/20191111/MODEL/"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_SAFE_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
    "remove_comments": False,
}


@dataclass(frozen=True)
class BundleFile:
    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class ParsedProcess:
    """One executable process of a validated bundle."""

    process_id: str
    name: str
    file_name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    start_messages: list[str]
    has_none_start: bool
    forms: dict[str, str] = field(default_factory=dict)


@dataclass
class ValidatedBundle:
    files: list[BundleFile]
    processes: list[ParsedProcess]

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.name):
            digest.update(f.name.encode() + b"\0" + f.sha256.encode() + b"\n")
        return digest.hexdigest()


def parse_xml(name: str, content: bytes, max_bytes: int) -> etree._ElementTree:
    """Parse untrusted XML safely.

    :raise BundleInvalid: oversized, malformed, or carrying a DOCTYPE/DTD (entities).
    """
    too_big = _size_problem(name, content, max_bytes)
    if too_big is not None:
        raise BundleInvalid([too_big])
    parser = etree.XMLParser(**_SAFE_PARSER_OPTIONS)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as error:
        raise BundleInvalid([BundleProblem(name, f"malformed XML: {error.msg}",
                                           line=error.lineno)]) from None
    tree = etree.ElementTree(root)
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise BundleInvalid([BundleProblem(name, "DOCTYPE/DTD is not allowed (entities are "
                                                 "refused)", line=1)])
    return tree


def validate_bundle(files: list[BundleFile], max_bytes: int) -> ValidatedBundle:
    """Validate a whole bundle; returns the parsed processes.

    :raise BundleInvalid: with every problem found.
    """
    problems: list[BundleProblem] = []
    trees: dict[str, etree._ElementTree] = {}
    names = {f.name for f in files}
    if not any(n.endswith(".bpmn") for n in names):
        problems.append(BundleProblem("(bundle)", "no .bpmn file in the bundle"))
    for f in files:
        if "\\" in f.name or f.name.startswith("/") or ".." in f.name.split("/"):
            problems.append(BundleProblem(f.name, "file names must be relative paths"))
            continue
        if f.name.endswith((".bpmn", ".dmn")):
            try:
                trees[f.name] = parse_xml(f.name, f.content, max_bytes)
            except BundleInvalid as error:
                problems.extend(error.problems)
        elif is_scenario_file(f.name):
            problems.extend(_check_scenario(f, max_bytes))
        elif f.name.endswith(".json"):
            problems.extend(_check_form(f, max_bytes))
    if problems:
        raise BundleInvalid(problems)

    parser = SpiffBpmnParser(validator=VALIDATOR)
    for name, tree in trees.items():
        try:
            if name.endswith(".bpmn"):
                parser.add_bpmn_xml(tree, filename=name)
            else:
                parser.add_dmn_xml(tree.getroot(), filename=name)
        except ValidationException as error:
            problems.append(_from_validation(error, name, trees))
        except etree.LxmlError as error:
            problems.append(BundleProblem(name, f"invalid XML: {error}"))
    for name, tree in trees.items():
        problems.extend(_check_expressions(name, tree))
        if name.endswith(".bpmn"):
            problems.extend(_check_messages(name, tree))
    if problems:
        raise BundleInvalid(problems)

    processes: list[ParsedProcess] = []
    for name, tree in trees.items():
        if not name.endswith(".bpmn"):
            continue
        for proc in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
            if proc.get("isExecutable", "true") == "false":
                continue
            pid = proc.get("id", "")
            try:
                spec = parser.get_spec(pid)
                subprocess_specs = parser.get_subprocess_specs(pid)
                start_messages = parser.get_process_parser(pid).start_messages()
            except ValidationException as error:
                problems.append(_from_validation(error, name, trees))
                continue
            parsed = ParsedProcess(pid, proc.get("name") or pid, name, spec, subprocess_specs,
                                   list(start_messages), _has_none_start(proc))
            problems.extend(_check_user_tasks(name, tree, spec, names, parsed))
            processes.append(parsed)
    if problems:
        raise BundleInvalid(problems)
    return ValidatedBundle(files=files, processes=processes)


def _has_none_start(proc: etree._Element) -> bool:
    for start in proc.findall(f"{{{BPMN_NS}}}startEvent"):
        if len([c for c in start if c.tag.endswith("EventDefinition")]) == 0:
            return True
    return False


def _size_problem(name: str, content: bytes, max_bytes: int) -> BundleProblem | None:
    if len(content) > max_bytes:
        return BundleProblem(name, f"file is {len(content)} bytes; the limit is {max_bytes}")
    return None


def _check_scenario(f: BundleFile, max_bytes: int) -> list[BundleProblem]:
    """A ``scenarios/*.json`` file is a scenario of the publish gate, not a form."""
    too_big = _size_problem(f.name, f.content, max_bytes)
    if too_big is not None:
        return [too_big]
    try:
        parse_scenario(f.content)
    except ScenarioFormatError as error:
        return [BundleProblem(f.name, f"not a valid scenario: {error}")]
    return []


def _check_form(f: BundleFile, max_bytes: int) -> list[BundleProblem]:
    too_big = _size_problem(f.name, f.content, max_bytes)
    if too_big is not None:
        return [too_big]
    try:
        schema = json.loads(f.content)
    except ValueError as error:
        return [BundleProblem(f.name, f"not valid JSON: {error}")]
    if not isinstance(schema, dict):
        return [BundleProblem(f.name, "a form must be a JSON Schema object")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        path = "/".join(str(p) for p in error.path) or "(root)"
        return [BundleProblem(f.name, f"not a valid JSON Schema at {path}: {error.message}")]
    return []


def _line_of(trees: dict[str, etree._ElementTree], file_name: str,
             element_id: str | None) -> int | None:
    tree = trees.get(file_name)
    if tree is None or not element_id:
        return None
    found = tree.getroot().xpath("//*[@id=$id]", id=element_id)
    if isinstance(found, list) and found:
        element = found[0]
        if isinstance(element, etree._Element):
            line: int | None = element.sourceline
            return line
    return None


def _from_validation(error: ValidationException, default_file: str,
                     trees: dict[str, etree._ElementTree]) -> BundleProblem:
    file_name = getattr(error, "file_name", "") or default_file
    element = getattr(error, "id", "") or None
    line = getattr(error, "line_number", "")
    message = str(getattr(error, "message", "") or error).splitlines()[0]
    if not isinstance(line, int) or not line:
        line = _line_of(trees, file_name, element)
    return BundleProblem(file_name, message, element=element, line=line or None)


def _owner_id(element: etree._Element) -> str | None:
    """The id of the flow element an expression belongs to: an event definition's or loop
    characteristics' own id (modellers give them one) means nothing to the process owner."""
    node: etree._Element | None = element
    fallback: str | None = None
    while node is not None:
        found: str | None = node.get("id")
        if found:
            if not _local(node.tag).endswith(("EventDefinition", "LoopCharacteristics")):
                return found
            fallback = fallback or found
        node = node.getparent()
    return fallback


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


#: Every element whose text the engine evaluates, by local name (any namespace): sequence
#: flow and conditional event conditions, timers, scripts, message payloads, correlation
#: expressions, standard loop and multi-instance conditions.
_EXPRESSION_TAGS = {
    "conditionExpression": "eval", "timeDate": "eval", "timeDuration": "eval",
    "timeCycle": "eval", "script": "exec", "preScript": "exec", "postScript": "exec",
    "formalExpression": "eval", "messagePayload": "eval", "loopCardinality": "eval",
    "completionCondition": "eval", "loopCondition": "eval", "condition": "eval",
    "activationCondition": "eval",
}
#: Expressions named by a generic local name, checked only in the namespace that evaluates
#: them (Spiff's process-variable correlation).
_QUALIFIED_EXPRESSION_TAGS = {f"{{{SPIFF_NS}}}expression": "eval"}


def _check_expressions(name: str, tree: etree._ElementTree) -> list[BundleProblem]:
    problems: list[BundleProblem] = []
    root = tree.getroot()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = _local(element.tag)
        mode = _EXPRESSION_TAGS.get(tag) or _QUALIFIED_EXPRESSION_TAGS.get(element.tag)
        text = (element.text or "").strip()
        if mode and text:
            problems.extend(_source_problems(name, element, text, mode))
    for table in root.iter(f"{{{DMN_NS}}}decisionTable"):
        inputs = [(i.findtext(f"{{{DMN_NS}}}inputExpression/{{{DMN_NS}}}text") or "").strip()
                  for i in table.findall(f"{{{DMN_NS}}}input")]
        for rule in table.findall(f"{{{DMN_NS}}}rule"):
            entries = rule.findall(f"{{{DMN_NS}}}inputEntry")
            for input_expr, entry in zip(inputs, entries, strict=False):
                text = (entry.findtext(f"{{{DMN_NS}}}text") or "").strip()
                if text and text != "-":
                    problems.extend(_source_problems(name, entry, _dmn_expression(input_expr,
                                                                                  text), "eval"))
            for entry in rule.findall(f"{{{DMN_NS}}}outputEntry"):
                text = (entry.findtext(f"{{{DMN_NS}}}text") or "").strip()
                if text:
                    problems.extend(_source_problems(name, entry, text, "eval"))
    return problems


def _dmn_expression(input_expr: str, entry: str) -> str:
    """The expression SpiffWorkflow's DMN engine will build from an input cell."""
    entry = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", entry)
    if "dmninputexpr" in entry:
        return entry
    try:
        compile(entry, "<cell>", "eval")
        return f"({input_expr or 'None'}) == ({entry})"
    except SyntaxError:
        return f"{input_expr or 'None'} {entry}"


def _source_problems(name: str, element: etree._Element, text: str,
                     mode: str) -> list[BundleProblem]:
    found = check_source(text, mode)
    owner = _owner_id(element)
    return [BundleProblem(name, f"{_local(element.tag)}: {message}", element=owner,
                          line=(element.sourceline or 0) + max(line - 1, 0) or None)
            for message, line in found]


def _check_messages(name: str, tree: etree._ElementTree) -> list[BundleProblem]:
    root = tree.getroot()
    problems: list[BundleProblem] = []
    messages = {m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")}
    message_names = {m.get("name") for m in root.iter(f"{{{BPMN_NS}}}message")}
    properties = {p.get("id"): p for p in root.iter(f"{{{BPMN_NS}}}correlationProperty")}
    for definition in root.iter(f"{{{BPMN_NS}}}messageEventDefinition"):
        ref = definition.get("messageRef")
        if ref and ref not in messages and ref not in message_names:
            problems.append(BundleProblem(name, f"message '{ref}' is not declared",
                                          element=_owner_id(definition),
                                          line=definition.sourceline))
    for key in root.iter(f"{{{BPMN_NS}}}correlationKey"):
        for ref in key.findall(f"{{{BPMN_NS}}}correlationPropertyRef"):
            if (ref.text or "").strip() not in properties:
                problems.append(BundleProblem(
                    name, f"correlation key '{key.get('name')}' names an unknown property "
                          f"'{(ref.text or '').strip()}'", element=key.get("id"),
                    line=ref.sourceline))
    for prop_id, prop in properties.items():
        for retrieval in prop.findall(f"{{{BPMN_NS}}}correlationPropertyRetrievalExpression"):
            ref = retrieval.get("messageRef")
            if ref not in messages:
                problems.append(BundleProblem(
                    name, f"correlation property '{prop_id}' refers to unknown message '{ref}'",
                    element=prop_id, line=retrieval.sourceline))
    return problems


def _check_user_tasks(name: str, tree: etree._ElementTree, spec: Any, names: set[str],
                      parsed: ParsedProcess) -> list[BundleProblem]:
    problems: list[BundleProblem] = []
    base = posixpath.dirname(name)
    for task_spec in spec.task_specs.values():
        if not getattr(task_spec, "manual", False) or task_spec.bpmn_id is None:
            continue
        bpmn_id = task_spec.bpmn_id
        line = _line_of({name: tree}, name, bpmn_id)
        # The roles whose members work tasks (the installed policy's): a lane names one.
        if task_spec.lane not in caseworker_lanes():
            problems.append(BundleProblem(
                name, f"user task must sit in a lane named after a role "
                      f"({', '.join(caseworker_lanes())}); found {task_spec.lane!r}",
                element=bpmn_id, line=line))
        properties = task_spec.extensions.get("properties", {}) if task_spec.extensions else {}
        form = properties.get(FORM_PROPERTY)
        if not form:
            problems.append(BundleProblem(name, f"user task has no '{FORM_PROPERTY}' property",
                                          element=bpmn_id, line=line))
            continue
        resolved = posixpath.normpath(posixpath.join(base, form))
        if resolved not in names:
            problems.append(BundleProblem(name, f"form file '{form}' is not in the bundle "
                                                f"(looked for {resolved})",
                                          element=bpmn_id, line=line))
            continue
        parsed.forms[bpmn_id] = resolved
    return problems
