// The process owners' decision-table editor: dmn-js's Modeler on one DMN file of a draft,
// saved as you go exactly like the BPMN editor (PUT with the revision the page started from;
// a stale revision is refused with 409 and nothing is overwritten). The page shows the
// decision tables only: one tab per decision, the first one open.
import DmnModeler from 'dmn-js/lib/Modeler';

import { draftAutosave, failure, statusLine } from '../shared/draft_file.js';
import translate from './translate.js';

async function start(root) {
  const tabs = document.getElementById('dmn-tabs');
  const modeler = new DmnModeler({
    container: root.querySelector('.dmn-canvas'),
    common: { keyboard: { bindTo: root } },
    decisionTable: { additionalModules: [{ translate: ['value', translate] }] }
  });
  window.ketenflowDmn = modeler;

  const say = statusLine();

  const autosave = draftAutosave(root, say,
    async () => (await modeler.saveXML({ format: true })).xml);

  // every view (one per decision table) gets its own viewer: listen to each one's edits
  modeler.on('viewer.created', ({ viewer }) => {
    viewer.get('eventBus').on('commandStack.changed', autosave.changed);
  });

  const showTabs = () => {
    const tables = modeler.getViews().filter((view) => view.type === 'decisionTable');
    const active = modeler.getActiveView();
    tabs.replaceChildren(...tables.map((view) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = view.name || view.element.id;
      button.setAttribute('aria-pressed', String(active && active.element === view.element));
      button.addEventListener('click', () => modeler.open(view));
      item.append(button);
      return item;
    }));
    return tables;
  };
  modeler.on('views.changed', showTabs);

  const answer = await fetch(root.dataset.fileUrl, { credentials: 'same-origin' });
  const { warnings } = await modeler.importXML(await answer.text(), { open: false });
  const tables = showTabs();
  if (!tables.length) {
    say(root.dataset.msgNoTables, 'error');
    return;
  }
  await modeler.open(tables[0]);
  if (warnings.length) {
    say(root.dataset.msgWarnings + ' ' + warnings.map((w) => w.message).join('; '), 'warning');
  } else {
    say(root.dataset.msgReady, 'ready');
  }
  window.ketenflowSaveNow = autosave.saveNow;
  root.dataset.ready = 'true';
}

const root = document.getElementById('dmn-editor');
if (root) {
  start(root).catch((error) => statusLine()(failure(root, error), 'error'));
}
