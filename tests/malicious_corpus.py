"""The malicious-diagram corpus: diagrams a deploy (and the publish gate, and a draft's upload)
must refuse, naming the file and the BPMN element (or, for a file that is not a diagram at all,
the file and the line), and never with a 500.

One place for the engine's tests (``tests/engine/test_bundles__malicious.py``), the API's
(``tests/api/test_malicious_corpus.py``) and the browser's (``tests/browser/
test_malicious_corpus.py``). ``corpus(limit)`` lists every diagram with what its refusal names.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def expression_diagram(place: str, attack: str | None = None, expr: str | None = None) -> bytes:
    """``probe.bpmn`` with the expression (attack ``attack``, or ``expr``) at ``place``."""
    text = EXPRESSION_ATTACKS[attack] if attack is not None else expr
    return (_HEAD + EXPRESSION_PLACES[place].format(expr=text) + _TAIL).encode()


def line_with(content: bytes, needle: str) -> int:
    lines = content.decode().splitlines()
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


@dataclass(frozen=True)
class Diagram:
    """One file of the corpus, the files it needs beside it, and what its refusal names."""

    name: str
    file: str
    content: bytes
    #: the BPMN element the refusal names; None for a file that is refused before it is read
    #: as BPMN (malformed XML, a DOCTYPE, too big): then the file and the line are named
    element: str | None
    companions: tuple[tuple[str, bytes], ...] = ()


def corpus(max_file_bytes: int) -> list[Diagram]:
    """Every diagram of the corpus (the oversized one just past ``max_file_bytes``)."""
    found = [Diagram(f"script_{name}", "probe.bpmn", script_process(script), "attack",
                     (("check.json", FORM),))
             for name, script in sorted(SCRIPT_ATTACKS.items())]
    found.append(Diagram("condition_dunder_import", "gate.bpmn",
                         condition_process("__import__('os').getpid() > 0"), "f_yes"))
    found += [Diagram(f"expression_{place}_{attack}", "probe.bpmn",
                      expression_diagram(place, attack), "attack")
              for place in sorted(EXPRESSION_PLACES) for attack in sorted(EXPRESSION_ATTACKS)]
    found += [Diagram(f"xml_{name}", "evil.bpmn", content, None)
              for name, content in sorted(XML_ATTACKS.items())]
    found.append(Diagram("oversized", "big.bpmn", script_process("x = 1") + b"<!--"
                         + b"x" * max_file_bytes + b"-->", None))
    return found
