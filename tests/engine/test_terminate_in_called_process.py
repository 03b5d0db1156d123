"""Probe (SpiffWorkflow 3.2): a terminate end inside a *called* process ends that process only.

The chain's escalations are user tasks on non-interrupting timer paths. A sub-process returns
only when every path in it has ended, so an escalation the lead has not handled would hold the
case. Our pattern: a called process ends its normal paths with a terminate end event, which
cancels what is still open *in that process* (the escalation) and returns to the caller. This
test pins the library behaviour the pattern rests on: the caller's own open tasks survive, the
caller continues after the call activity, and the called process's data comes back.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')

PARENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS} id="defs_parent" targetNamespace="urn:test">
  <bpmn:process id="parent" isExecutable="true">
    <bpmn:startEvent id="p_start"><bpmn:outgoing>p1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="p_split">
      <bpmn:incoming>p1</bpmn:incoming><bpmn:outgoing>p2</bpmn:outgoing>
      <bpmn:outgoing>p3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="parent_side"><bpmn:incoming>p2</bpmn:incoming>
      <bpmn:outgoing>p4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="p_side_end"><bpmn:incoming>p4</bpmn:incoming></bpmn:endEvent>
    <bpmn:callActivity id="call_child" calledElement="child">
      <bpmn:incoming>p3</bpmn:incoming><bpmn:outgoing>p5</bpmn:outgoing></bpmn:callActivity>
    <bpmn:userTask id="after_child"><bpmn:incoming>p5</bpmn:incoming>
      <bpmn:outgoing>p6</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="p_end"><bpmn:incoming>p6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="p1" sourceRef="p_start" targetRef="p_split" />
    <bpmn:sequenceFlow id="p2" sourceRef="p_split" targetRef="parent_side" />
    <bpmn:sequenceFlow id="p3" sourceRef="p_split" targetRef="call_child" />
    <bpmn:sequenceFlow id="p4" sourceRef="parent_side" targetRef="p_side_end" />
    <bpmn:sequenceFlow id="p5" sourceRef="call_child" targetRef="after_child" />
    <bpmn:sequenceFlow id="p6" sourceRef="after_child" targetRef="p_end" />
  </bpmn:process>
</bpmn:definitions>"""

CHILD = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS} id="defs_child" targetNamespace="urn:test">
  <bpmn:process id="child" isExecutable="true">
    <bpmn:startEvent id="c_start"><bpmn:outgoing>c1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work"><bpmn:incoming>c1</bpmn:incoming>
      <bpmn:outgoing>c2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="overdue" attachedToRef="work" cancelActivity="false">
      <bpmn:outgoing>c3</bpmn:outgoing>
      <bpmn:timerEventDefinition>
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">"2000-01-01T17:00:00+01:00"</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="escalate"><bpmn:incoming>c3</bpmn:incoming>
      <bpmn:outgoing>c4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="escalated"><bpmn:incoming>c4</bpmn:incoming></bpmn:endEvent>
    <bpmn:scriptTask id="record"><bpmn:incoming>c2</bpmn:incoming>
      <bpmn:outgoing>c5</bpmn:outgoing><bpmn:script>result = "done"</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="c_end"><bpmn:incoming>c5</bpmn:incoming>
      <bpmn:terminateEventDefinition /></bpmn:endEvent>
    <bpmn:sequenceFlow id="c1" sourceRef="c_start" targetRef="work" />
    <bpmn:sequenceFlow id="c2" sourceRef="work" targetRef="record" />
    <bpmn:sequenceFlow id="c3" sourceRef="overdue" targetRef="escalate" />
    <bpmn:sequenceFlow id="c4" sourceRef="escalate" targetRef="escalated" />
    <bpmn:sequenceFlow id="c5" sourceRef="record" targetRef="c_end" />
  </bpmn:process>
</bpmn:definitions>"""


def _ready(workflow: BpmnWorkflow) -> list[str]:
    return sorted(t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY,
                                                               manual=True))


def _state(workflow: BpmnWorkflow, name: str) -> str:
    found = [t for t in workflow.get_tasks() if t.task_spec.name == name]
    assert len(found) == 1, name
    return TaskState.get_name(found[0].state)


def _run(workflow: BpmnWorkflow, name: str) -> None:
    task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.name == name)
    task.run()
    workflow.do_engine_steps()


def test_terminate_end_in_a_called_process_ends_only_that_process() -> None:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(PARENT.encode(), filename="parent.bpmn")
    parser.add_bpmn_str(CHILD.encode(), filename="child.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("parent"), parser.get_subprocess_specs("parent"))
    workflow.do_engine_steps()
    workflow.refresh_timers()  # the overdue timer is long past
    workflow.do_engine_steps()
    assert _ready(workflow) == ["escalate", "parent_side", "work"]

    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
    _run(workflow, "work")  # the late task is done; the escalation is still open

    # the called process ended (its open escalation cancelled) and handed its data back ...
    assert _state(workflow, "escalate") == "CANCELLED"
    assert _state(workflow, "call_child") == "COMPLETED"
    assert _ready(workflow) == ["after_child", "parent_side"]
    after = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.name == "after_child")
    assert after.data["result"] == "done"
    # ... while the caller's own open path was left alone and the caller runs to its end
    _run(workflow, "after_child")
    assert not workflow.is_completed()
    _run(workflow, "parent_side")
    assert workflow.is_completed()
