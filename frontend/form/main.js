// The form editor: the JSON Schema typed on the left is drawn on the right by the server,
// with the inbox's own renderer (POST to the preview address; the answer names every problem
// with its path). A form the preview accepts is saved into the draft as you go, as the other
// editors save (../shared/draft_file.js): a stale revision is refused (409) and nothing is
// overwritten. Bundled as a file: the Content-Security-Policy runs no inline script.
import { draftSaver, failure, statusLine } from '../shared/draft_file.js';

const PREVIEW_DELAY_MS = 500;

const root = document.getElementById('form-editor');
if (root) {
  const source = document.getElementById('form-source-text');
  const preview = document.getElementById('form-preview');
  const say = statusLine();
  const save = draftSaver(root, say, 'application/json');
  let timer = null;
  let work = Promise.resolve();

  // Draw the typed form; save it when the preview accepts it.
  const refresh = async () => {
    const text = source.value;
    try {
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
    } catch (error) {
      say(failure(root, error), 'error');
    }
  };

  source.addEventListener('input', () => {
    say(root.dataset.msgEditing, 'editing');
    clearTimeout(timer);
    timer = setTimeout(() => {
      work = work.then(refresh);
    }, PREVIEW_DELAY_MS);
  });
  window.ketenflowSaveNow = () => {
    clearTimeout(timer);
    work = work.then(refresh);
    return work;
  };
  root.dataset.ready = 'true';
}
