// The form editor: the JSON Schema typed on the left is drawn on the right by the server,
// with the inbox's own renderer (POST to the preview address; the answer names every problem
// with its path). A form the preview accepts is saved into the draft as you go, as the other
// editors save (../shared/draft_file.js): a stale revision is refused (409) and nothing is
// overwritten. Bundled as a file: the Content-Security-Policy runs no inline script.
import { afterEdits, draftSaver, statusLine } from '../shared/draft_file.js';

const PREVIEW_DELAY_MS = 500;

const root = document.getElementById('form-editor');
if (root) {
  const source = document.getElementById('form-source-text');
  const preview = document.getElementById('form-preview');
  const say = statusLine();
  const save = draftSaver(root, say, 'application/json');

  // Draw the typed form; save it when the preview accepts it.
  const refresh = async () => {
    const text = source.value;
    const response = await fetch(root.dataset.previewUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: text
    });
    const valid = response.headers.get('X-Form-Valid') === 'true';
    const html = await response.text();
    if (!response.ok || response.redirected) { // refused, or signed out meanwhile
      say(root.dataset.msgFailed, 'error');
      return;
    }
    preview.innerHTML = html;
    root.dataset.previewed = String(Number(root.dataset.previewed || '0') + 1);
    if (!valid) {
      say(root.dataset.msgInvalid, 'invalid');
      return;
    }
    await save(text);
  };

  const edits = afterEdits(root, say, PREVIEW_DELAY_MS, refresh);
  source.addEventListener('input', edits.changed);
  window.ketenflowSaveNow = edits.runNow;
  root.dataset.ready = 'true';
}
