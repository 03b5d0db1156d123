// The process owners' BPMN editor: bpmn-js Modeler, a properties panel for what the engine
// reads, lint markers for what the deploy check refuses, and saving the draft as you go (the
// server refuses a save made on a stale revision with 409, so nobody overwrites silently).
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule, BpmnPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import lintModule from 'bpmn-js-bpmnlint';

import { draftAutosave, failure, statusLine } from '../shared/draft_file.js';
import spiffworkflow from './spiffworkflow.json';
import translate from './translate.js';
import KetenflowPropertiesProvider from './properties/provider.jsx';
import { lintConfig } from './lint/config.js';

const KetenflowModule = {
  __init__: ['ketenflowPropertiesProvider'],
  ketenflowPropertiesProvider: ['type', KetenflowPropertiesProvider]
};


// The whole diagram in view, to the right of the palette: the palette floats over the canvas,
// and a plain fit would hide the start of the process and the lanes' names under it.
function fitBesidePalette(modeler, root) {
  const canvas = modeler.get('canvas');
  canvas.zoom('fit-viewport');
  const palette = root.querySelector('.djs-palette');
  if (!palette) {
    return;
  }
  const box = canvas.viewbox();
  const shift = (palette.getBoundingClientRect().right -
    root.querySelector('.editor-canvas').getBoundingClientRect().left + 16) / box.scale;
  canvas.viewbox({ x: box.x - shift, y: box.y, width: box.width + shift, height: box.height });
}
window.ketenflowFit = () => fitBesidePalette(window.ketenflowModeler,
  document.getElementById('editor'));

async function start(root) {
  const roles = JSON.parse(root.dataset.roles || '[]');
  const modeler = new BpmnModeler({
    container: root.querySelector('.editor-canvas'),
    propertiesPanel: { parent: root.querySelector('.editor-properties') },
    linting: { bpmnlint: lintConfig(roles), active: true },
    ketenflow: { roles },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      KetenflowModule, lintModule, { translate: ['value', translate] }],
    moddleExtensions: { spiffworkflow }
  });
  window.ketenflowModeler = modeler;

  const say = statusLine();

  const answer = await fetch(root.dataset.fileUrl, { credentials: 'same-origin' });
  const xml = await answer.text();
  const { warnings } = await modeler.importXML(xml);
  fitBesidePalette(modeler, root);
  if (warnings.length) {
    say(root.dataset.msgWarnings + ' ' + warnings.map((w) => w.message).join('; '), 'warning');
  } else {
    say(root.dataset.msgReady, 'ready');
  }

  const autosave = draftAutosave(root, say,
    async () => (await modeler.saveXML({ format: true })).xml);
  modeler.on('commandStack.changed', autosave.changed);
  window.ketenflowSaveNow = autosave.saveNow;
  root.dataset.ready = 'true';
}

const root = document.getElementById('editor');
if (root) {
  start(root).catch((error) => statusLine()(failure(root, error), 'error'));
}
