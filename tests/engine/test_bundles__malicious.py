"""A malicious or broken bundle is refused at deploy, naming file, element and line."""

from __future__ import annotations

import pytest

from engine import deployments
from engine.access import SYSTEM
from engine.bundles import BundleFile
from engine.context import EngineContext
from engine.errors import BundleInvalid
from tests.bpmn_builder import FORM, condition_process, script_process
from tests.malicious_corpus import (
    EXPRESSION_ATTACKS,
    EXPRESSION_PLACES,
    SCRIPT_ATTACKS,
    XML_ATTACKS,
    Diagram,
    corpus,
    expression_diagram,
    line_with,
)


def _deploy(ctx: EngineContext, files: list[BundleFile]) -> None:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, files)


@pytest.mark.parametrize("name", sorted(SCRIPT_ATTACKS))
def test_script_attack_is_refused_naming_the_element(ctx: EngineContext, name: str) -> None:
    bundle = [BundleFile("probe.bpmn", script_process(SCRIPT_ATTACKS[name])),
              BundleFile("check.json", FORM)]
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, bundle)
    problem = refused.value.problems[0]
    assert problem.file == "probe.bpmn"
    assert problem.element == "attack"
    assert problem.line is not None and problem.line > 10
    assert "attack" in str(refused.value)


def test_condition_attack_is_refused(ctx: EngineContext) -> None:
    bundle = [BundleFile("gate.bpmn", condition_process("__import__('os').getpid() > 0"))]
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, bundle)
    assert refused.value.problems[0].element == "f_yes"


@pytest.mark.parametrize("name", sorted(XML_ATTACKS))
def test_xml_attack_is_refused(ctx: EngineContext, name: str) -> None:
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, [BundleFile("evil.bpmn", XML_ATTACKS[name])])
    problem = refused.value.problems[0]
    assert problem.file == "evil.bpmn"
    assert problem.line is not None
    if name != "malformed":
        assert "DOCTYPE" in problem.message


def test_oversized_file_is_refused(ctx: EngineContext) -> None:
    big = script_process("x = 1") + b"<!--" + b"x" * ctx.settings.max_file_bytes + b"-->"
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, [BundleFile("big.bpmn", big)])
    assert "limit" in refused.value.problems[0].message


def test_user_task_without_role_lane_or_form_is_refused(ctx: EngineContext) -> None:
    xml = script_process("x = 1").replace(b'name="social_team"', b'name="everyone"')
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, [BundleFile("probe.bpmn", xml)])
    messages = [str(p) for p in refused.value.problems]
    assert any("lane" in m and "[check]" in m for m in messages)
    assert any("check.json" in m and "[check]" in m for m in messages)


def test_a_sound_bundle_deploys_once_and_redeploys_as_unchanged(ctx: EngineContext) -> None:
    bundle = [BundleFile("probe.bpmn", script_process("total = 1 + 2")),
              BundleFile("check.json", FORM)]
    with ctx.sessionmaker.begin() as session:
        first = deployments.deploy(ctx, session, SYSTEM, bundle)
    with ctx.sessionmaker.begin() as session:
        again = deployments.deploy(ctx, session, SYSTEM, bundle)
    assert first.new and not again.new and again.version == first.version == 1


# --- every evaluated expression is checked, wherever it sits ---------------------------------


@pytest.mark.parametrize("attack", sorted(EXPRESSION_ATTACKS))
@pytest.mark.parametrize("place", sorted(EXPRESSION_PLACES))
def test_loop_and_event_conditions_are_checked_like_every_expression(
        ctx: EngineContext, place: str, attack: str) -> None:
    content = expression_diagram(place, attack)
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, [BundleFile("probe.bpmn", content)])
    problem = refused.value.problems[0]
    assert problem.file == "probe.bpmn"
    assert problem.element == "attack"  # the task or event, not its inner definition's id
    tag = {"standard_loop_condition": "loopCondition", "conditional_catch_event": "condition",
           "multi_instance_completion_condition": "completionCondition"}[place]
    assert problem.line == line_with(content, f"<bpmn:{tag} ")
    assert problem.message.startswith(f"{tag}: ")


@pytest.mark.parametrize("place", sorted(EXPRESSION_PLACES))
def test_sound_loop_and_event_conditions_deploy(ctx: EngineContext, place: str) -> None:
    content = expression_diagram(place, expr="n &gt;= 2")
    with ctx.sessionmaker.begin() as session:
        deployed = deployments.deploy(ctx, session, SYSTEM, [BundleFile("probe.bpmn", content)])
    assert deployed.new


# --- the whole corpus: each refused naming its element (or file and line) --------------------

CORPUS_NAMES = [d.name for d in corpus(1)]


def corpus_diagram(ctx: EngineContext, name: str) -> Diagram:
    return next(d for d in corpus(ctx.settings.max_file_bytes) if d.name == name)


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_every_corpus_diagram_is_refused_naming_the_element(ctx: EngineContext,
                                                            name: str) -> None:
    diagram = corpus_diagram(ctx, name)
    files = [BundleFile(diagram.file, diagram.content),
             *(BundleFile(n, c) for n, c in diagram.companions)]
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, files)
    problem = refused.value.problems[0]
    assert problem.file == diagram.file
    if diagram.element is None:
        assert problem.line is not None or "limit" in problem.message
    else:
        assert problem.element == diagram.element
