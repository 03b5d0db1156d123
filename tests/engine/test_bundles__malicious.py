"""A malicious or broken bundle is refused at deploy, naming file, element and line."""

from __future__ import annotations

import pytest

from engine import deployments
from engine.access import SYSTEM
from engine.bundles import BundleFile
from engine.context import EngineContext
from engine.errors import BundleInvalid
from tests.bpmn_builder import FORM, condition_process, script_process

SCRIPT_ATTACKS = {
    "import": "import os\nos.system('id')",
    "dunder_import": "x = __import__('subprocess')",
    "subclasses": "x = ().__class__.__base__.__subclasses__()",
    "format_dunder": "x = '{0.__class__.__base__}'.format(1)",
    "open": "secret = open('/etc/passwd').read()",
    "module_object": "x = sys.modules",
    "module_os": "x = os.getcwd()",
    "eval": "x = eval('1+1')",
    "getattr": "x = getattr(1, 'real')",
    "syntax": "x = = 1",
}


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


XML_ATTACKS = {
    "malformed": b"<?xml version='1.0'?><bpmn:definitions xmlns:bpmn='x'><oops></bpmn:definitions>",
    "external_entity": b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>""",
    "billion_laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</definitions>""",
}


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

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs_probe" targetNamespace="http://ketenflow.example/test">
  <bpmn:process id="probe" name="Probe" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
"""
_TAIL = """    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="attack" />
    <bpmn:sequenceFlow id="f2" sourceRef="attack" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
#: The element ``attack`` carrying ``{expr}`` where the engine evaluates it at run time.
EXPRESSION_PLACES = {
    "standard_loop_condition": """    <bpmn:scriptTask id="attack" name="Loop">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:standardLoopCharacteristics id="StandardLoop_1" loopMaximum="3">
        <bpmn:loopCondition xsi:type="bpmn:tFormalExpression">{expr}</bpmn:loopCondition>
      </bpmn:standardLoopCharacteristics>
      <bpmn:script>n = 1</bpmn:script>
    </bpmn:scriptTask>
""",
    "conditional_catch_event": """    <bpmn:intermediateCatchEvent id="attack" name="Wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:conditionalEventDefinition id="ConditionalEventDefinition_1">
        <bpmn:condition xsi:type="bpmn:tFormalExpression">{expr}</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:intermediateCatchEvent>
""",
    "multi_instance_completion_condition": """    <bpmn:scriptTask id="attack" name="Each">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics id="MultiInstance_1" isSequential="true">
        <bpmn:loopCardinality>3</bpmn:loopCardinality>
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">{expr}
        </bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>n = 1</bpmn:script>
    </bpmn:scriptTask>
""",
}
EXPRESSION_ATTACKS = {
    "dunder_import": "__import__('os').system('id') == 0",
    "subclasses": "len(().__class__.__base__.__subclasses__()) &gt; 0",
    "module_object": "len(sys.modules) &gt; 0",
}


def _expression_bundle(place: str, attack: str) -> bytes:
    return (_HEAD + EXPRESSION_PLACES[place].format(expr=EXPRESSION_ATTACKS[attack])
            + _TAIL).encode()


def _line_with(content: bytes, needle: str) -> int:
    lines = content.decode().splitlines()
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


@pytest.mark.parametrize("attack", sorted(EXPRESSION_ATTACKS))
@pytest.mark.parametrize("place", sorted(EXPRESSION_PLACES))
def test_loop_and_event_conditions_are_checked_like_every_expression(
        ctx: EngineContext, place: str, attack: str) -> None:
    content = _expression_bundle(place, attack)
    with pytest.raises(BundleInvalid) as refused:
        _deploy(ctx, [BundleFile("probe.bpmn", content)])
    problem = refused.value.problems[0]
    assert problem.file == "probe.bpmn"
    assert problem.element == "attack"  # the task or event, not its inner definition's id
    tag = {"standard_loop_condition": "loopCondition", "conditional_catch_event": "condition",
           "multi_instance_completion_condition": "completionCondition"}[place]
    assert problem.line == _line_with(content, f"<bpmn:{tag} ")
    assert problem.message.startswith(f"{tag}: ")


@pytest.mark.parametrize("place", sorted(EXPRESSION_PLACES))
def test_sound_loop_and_event_conditions_deploy(ctx: EngineContext, place: str) -> None:
    content = (_HEAD + EXPRESSION_PLACES[place].format(expr="n &gt;= 2") + _TAIL).encode()
    with ctx.sessionmaker.begin() as session:
        deployed = deployments.deploy(ctx, session, SYSTEM, [BundleFile("probe.bpmn", content)])
    assert deployed.new
