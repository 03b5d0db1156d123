// Ketenflow's own bpmnlint rules: what the deploy check (engine/bundles.py) refuses, shown
// while editing so a process owner sees the problem on the element before publishing.
import { is } from 'bpmnlint-utils';

const FORM = 'formJsonSchemaFilename';

function extension(element, type) {
  const values = (element.extensionElements && element.extensionElements.values) || [];
  return values.filter((v) => is(v, type));
}

export function formFile(element) {
  for (const properties of extension(element, 'spiffworkflow:Properties')) {
    for (const property of properties.properties || []) {
      if (property.name === FORM && property.value) {
        return property.value;
      }
    }
  }
  return '';
}

function flowNodes(container, found = []) {
  for (const element of container.flowElements || []) {
    found.push(element);
    if (is(element, 'bpmn:SubProcess')) {
      flowNodes(element, found);
    }
  }
  return found;
}

function laneOf(process) {
  const lanes = new Map();
  function walk(laneSet) {
    for (const lane of (laneSet && laneSet.lanes) || []) {
      for (const node of lane.flowNodeRef || []) {
        lanes.set(node.id, lane);
      }
      walk(lane.childLaneSet);
    }
  }
  for (const laneSet of process.laneSets || []) {
    walk(laneSet);
  }
  return lanes;
}

// A user task sits in a lane named after a role whose members work tasks.
export function userTaskInRoleLane(config) {
  const roles = (config && config.roles) || [];
  return {
    check(node, reporter) {
      if (!is(node, 'bpmn:Process')) {
        return;
      }
      const lanes = laneOf(node);
      for (const element of flowNodes(node)) {
        if (!is(element, 'bpmn:UserTask')) {
          continue;
        }
        const lane = lanes.get(element.id);
        if (!lane) {
          reporter.report(element.id, 'Gebruikerstaak staat niet in een laan met een rol');
        } else if (roles.length && !roles.includes(lane.name)) {
          reporter.report(element.id, `Laan "${lane.name || ''}" is geen rol (${roles.join(', ')})`);
        }
      }
    }
  };
}

// A user task names its form file (formJsonSchemaFilename).
export function userTaskForm() {
  return {
    check(node, reporter) {
      if (is(node, 'bpmn:UserTask') && !formFile(node)) {
        reporter.report(node.id, 'Gebruikerstaak zonder formulier (formJsonSchemaFilename)');
      }
    }
  };
}

// A timer says when: a date, duration or cycle expression.
export function timerExpression() {
  return {
    check(node, reporter) {
      if (!is(node, 'bpmn:Event')) {
        return;
      }
      for (const definition of node.eventDefinitions || []) {
        if (!is(definition, 'bpmn:TimerEventDefinition')) {
          continue;
        }
        const expression = definition.timeDate || definition.timeDuration || definition.timeCycle;
        if (!expression || !(expression.body || '').trim()) {
          reporter.report(node.id, 'Timer zonder expressie (datum, duur of cyclus)');
        }
      }
    }
  };
}

// A splitting exclusive or inclusive gateway has a condition on every outgoing flow but
// its default.
export function gatewayConditions() {
  return {
    check(node, reporter) {
      if (!is(node, 'bpmn:ExclusiveGateway') && !is(node, 'bpmn:InclusiveGateway')) {
        return;
      }
      const outgoing = node.outgoing || [];
      if (outgoing.length < 2) {
        return;
      }
      const missing = outgoing.filter((flow) => flow !== node.default &&
        !(flow.conditionExpression && (flow.conditionExpression.body || '').trim()));
      if (missing.length) {
        reporter.report(node.id, 'Gateway zonder standaardpad of voorwaarde op ' +
          missing.map((flow) => flow.id).join(', '));
      }
    }
  };
}
