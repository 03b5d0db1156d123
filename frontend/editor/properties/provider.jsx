// The properties Ketenflow's engine reads, in one "Ketenflow" group: a lane's role, a user
// task's form file and due-date variable, scripts, conditions, timers, message variables and
// correlation, signal payloads, call activity targets and decision table references.
import {
  isTextFieldEntryEdited, SelectEntry, TextAreaEntry, TextFieldEntry
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const FORM = 'formJsonSchemaFilename';
const DUE = 'dueAtVariable';
const MULTI = 'properties-panel.multi-command-executor';

function extensionValues(bo) {
  return (bo.extensionElements && bo.extensionElements.values) || [];
}

function findExtension(bo, type) {
  return extensionValues(bo).find((value) => is(value, type));
}

// Commands that make sure ``bo`` has extension elements, then ``create`` one of ``type``.
function ensureExtension(element, bo, type, bpmnFactory, attrs) {
  const commands = [];
  let extensionElements = bo.extensionElements;
  if (!extensionElements) {
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements } } });
  }
  let found = extensionValues(bo).find((value) => is(value, type));
  if (!found) {
    found = bpmnFactory.create(type, attrs || {});
    found.$parent = extensionElements;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: extensionElements,
        properties: { values: [...extensionElements.values, found] } } });
  }
  return { found, commands };
}

function bodyExtensionEntry({ element, bo, type, id, label, area }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const getValue = () => {
    const found = findExtension(bo, type);
    return (found && found.value) || '';
  };
  const setValue = (value) => {
    const { found, commands } = ensureExtension(element, bo, type, bpmnFactory);
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: found, properties: { value: value || undefined } } });
    commandStack.execute(MULTI, commands);
  };
  const Entry = area ? TextAreaEntry : TextFieldEntry;
  return <Entry element={element} id={id} label={translate(label)} getValue={getValue}
    setValue={setValue} debounce={debounce} monospace={area} autoResize={area} />;
}

function spiffProperty(bo, name) {
  const properties = findExtension(bo, 'spiffworkflow:Properties');
  const found = properties && (properties.properties || []).find((p) => p.name === name);
  return found;
}

function PropertyEntry({ element, name, id, label }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const getValue = () => {
    const found = spiffProperty(bo, name);
    return (found && found.value) || '';
  };
  const setValue = (value) => {
    const { found: properties, commands } = ensureExtension(
      element, bo, 'spiffworkflow:Properties', bpmnFactory, { properties: [] });
    const existing = (properties.properties || []).find((p) => p.name === name);
    if (existing) {
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: existing, properties: { value: value || '' } } });
    } else {
      const property = bpmnFactory.create('spiffworkflow:Property', { name, value });
      property.$parent = properties;
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: properties,
          properties: { properties: [...(properties.properties || []), property] } } });
    }
    commandStack.execute(MULTI, commands);
  };
  return <TextFieldEntry element={element} id={id} label={translate(label)}
    getValue={getValue} setValue={setValue} debounce={debounce} />;
}

function FormFile({ element }) {
  return <PropertyEntry element={element} name={FORM} id="ketenflow-form"
    label="Formulier (formJsonSchemaFilename)" />;
}

function DueAt({ element }) {
  return <PropertyEntry element={element} name={DUE} id="ketenflow-due"
    label="Termijnvariabele (dueAtVariable)" />;
}

function attributeEntry(element, moddleElement, key, id, label, area) {
  const modeling = useService('modeling');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const Entry = area ? TextAreaEntry : TextFieldEntry;
  return <Entry element={element} id={id} label={translate(label)}
    getValue={() => moddleElement.get(key) || ''}
    setValue={(value) => modeling.updateModdleProperties(element, moddleElement,
      { [key]: value || undefined })}
    debounce={debounce} monospace={area} autoResize={area} />;
}

function LaneRole({ element, roles }) {
  const modeling = useService('modeling');
  const translate = useService('translate');
  const bo = getBusinessObject(element);
  const getOptions = () => {
    const names = roles.includes(bo.name) || !bo.name ? roles : [bo.name, ...roles];
    return [{ value: '', label: translate('(geen rol)') },
      ...names.map((role) => ({ value: role, label: role }))];
  };
  return <SelectEntry element={element} id="ketenflow-role" label={translate('Rol van de laan')}
    getValue={() => bo.name || ''} getOptions={getOptions}
    setValue={(value) => modeling.updateProperties(element, { name: value || undefined })} />;
}

function Script({ element }) {
  return attributeEntry(element, getBusinessObject(element), 'script', 'ketenflow-script',
    'Script (Python)', true);
}

function CalledElement({ element }) {
  return attributeEntry(element, getBusinessObject(element), 'calledElement',
    'ketenflow-called-element', 'Aangeroepen proces (calledElement)', false);
}

function Decision({ element }) {
  return bodyExtensionEntry({ element, bo: getBusinessObject(element),
    type: 'spiffworkflow:CalledDecisionId', id: 'ketenflow-decision',
    label: 'Beslistabel (calledDecisionId)' });
}

function Condition({ element }) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const getValue = () => (bo.conditionExpression && bo.conditionExpression.body) || '';
  const setValue = (value) => {
    const conditionExpression = value
      ? bpmnFactory.create('bpmn:FormalExpression', { body: value }) : undefined;
    modeling.updateProperties(element, { conditionExpression });
  };
  return <TextAreaEntry element={element} id="ketenflow-condition"
    label={translate('Voorwaarde (Python)')} getValue={getValue} setValue={setValue}
    debounce={debounce} monospace autoResize />;
}

const TIMER_KINDS = ['timeDate', 'timeDuration', 'timeCycle'];

function timerKind(definition) {
  return TIMER_KINDS.find((kind) => definition.get(kind)) || 'timeDate';
}

function TimerKind({ element, definition }) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const translate = useService('translate');
  const labels = { timeDate: 'Datum (timeDate)', timeDuration: 'Duur (timeDuration)',
    timeCycle: 'Cyclus (timeCycle)' };
  const setValue = (kind) => {
    const current = timerKind(definition);
    const body = (definition.get(current) && definition.get(current).body) || '';
    const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    properties[kind] = bpmnFactory.create('bpmn:FormalExpression', { body });
    modeling.updateModdleProperties(element, definition, properties);
  };
  return <SelectEntry element={element} id="ketenflow-timer-kind"
    label={translate('Soort timer')} getValue={() => timerKind(definition)} setValue={setValue}
    getOptions={() => TIMER_KINDS.map((kind) => ({ value: kind, label: translate(labels[kind]) }))} />;
}

function TimerExpression({ element, definition }) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const getValue = () => {
    const expression = definition.get(timerKind(definition));
    return (expression && expression.body) || '';
  };
  const setValue = (value) => {
    const kind = timerKind(definition);
    modeling.updateModdleProperties(element, definition, {
      [kind]: bpmnFactory.create('bpmn:FormalExpression', { body: value || '' }) });
  };
  return <TextAreaEntry element={element} id="ketenflow-timer"
    label={translate('Timerexpressie (Python)')} getValue={getValue} setValue={setValue}
    debounce={debounce} monospace autoResize />;
}

function MessageVariable({ element, definition }) {
  return bodyExtensionEntry({ element, bo: definition, type: 'spiffworkflow:MessageVariable',
    id: 'ketenflow-message-variable', label: 'Berichtvariabele (messageVariable)' });
}

function MessagePayload({ element, definition }) {
  return bodyExtensionEntry({ element, bo: definition, type: 'spiffworkflow:MessagePayload',
    id: 'ketenflow-message-payload', label: 'Berichtinhoud (messagePayload)', area: true });
}

function Correlation({ element, retrieval, property }) {
  const modeling = useService('modeling');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const expression = retrieval.messagePath;
  return <TextFieldEntry element={element} id={`ketenflow-correlation-${property.id}`}
    label={`${translate('Correlatie')}: ${property.name || property.id}`}
    getValue={() => (expression && expression.body) || ''}
    setValue={(value) => modeling.updateModdleProperties(element, expression,
      { body: value || '' })}
    debounce={debounce} />;
}

function SignalPayload({ element, signal }) {
  return bodyExtensionEntry({ element, bo: signal, type: 'spiffworkflow:PayloadExpression',
    id: 'ketenflow-signal-payload', label: 'Signaalinhoud (payloadExpression)' });
}

function SignalVariable({ element, signal }) {
  return bodyExtensionEntry({ element, bo: signal, type: 'spiffworkflow:VariableName',
    id: 'ketenflow-signal-variable', label: 'Signaalvariabele (variableName)' });
}

function definitionsOf(bo) {
  let node = bo;
  while (node && !is(node, 'bpmn:Definitions')) {
    node = node.$parent;
  }
  return node;
}

function entries(element, roles) {
  const bo = getBusinessObject(element);
  const found = [];
  const add = (id, component, props = {}) => found.push({
    id, element, component, isEdited: isTextFieldEntryEdited, ...props });
  if (is(element, 'bpmn:Lane')) {
    add('ketenflow-role', LaneRole, { roles });
  }
  if (is(element, 'bpmn:UserTask')) {
    add('ketenflow-form', FormFile);
    add('ketenflow-due', DueAt);
  }
  if (is(element, 'bpmn:ScriptTask')) {
    add('ketenflow-script', Script);
  }
  if (is(element, 'bpmn:CallActivity')) {
    add('ketenflow-called-element', CalledElement);
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    add('ketenflow-decision', Decision);
  }
  if (is(element, 'bpmn:SequenceFlow')) {
    add('ketenflow-condition', Condition);
  }
  for (const definition of bo.eventDefinitions || []) {
    if (is(definition, 'bpmn:TimerEventDefinition')) {
      add('ketenflow-timer-kind', TimerKind, { definition });
      add('ketenflow-timer', TimerExpression, { definition });
    }
    if (is(definition, 'bpmn:MessageEventDefinition')) {
      add('ketenflow-message-variable', MessageVariable, { definition });
      if (is(element, 'bpmn:ThrowEvent')) {
        add('ketenflow-message-payload', MessagePayload, { definition });
      }
      const message = definition.messageRef;
      const definitions = definitionsOf(bo);
      for (const property of (definitions && definitions.rootElements) || []) {
        if (!is(property, 'bpmn:CorrelationProperty')) {
          continue;
        }
        for (const retrieval of property.correlationPropertyRetrievalExpression || []) {
          if (message && retrieval.messageRef === message && retrieval.messagePath) {
            add(`ketenflow-correlation-${property.id}`, Correlation, { retrieval, property });
          }
        }
      }
    }
    if (is(definition, 'bpmn:SignalEventDefinition') && definition.signalRef) {
      add('ketenflow-signal-payload', SignalPayload, { signal: definition.signalRef });
      add('ketenflow-signal-variable', SignalVariable, { signal: definition.signalRef });
    }
  }
  return found;
}

export default function KetenflowPropertiesProvider(propertiesPanel, translate, config) {
  const roles = (config && config.roles) || [];
  this.getGroups = (element) => (groups) => {
    const found = entries(element, roles);
    if (found.length) {
      groups.splice(1, 0, { id: 'ketenflow', label: translate('Ketenflow'), entries: found,
        shouldOpen: true });
    }
    return groups;
  };
  propertiesPanel.registerProvider(500, this);
}

KetenflowPropertiesProvider.$inject = ['propertiesPanel', 'translate', 'config.ketenflow'];
