// Saving one file of a draft, shared by the BPMN, DMN and form editors. A save PUTs the file
// with the revision the page last saw (If-Match). The server refuses a stale revision with
// 409, so nobody overwrites another owner's save; after a 409 nothing more is sent until the
// page is reloaded, and every later save says the refusal again.
const SAVE_DELAY_MS = 800;

// The editors' status line (#editor-status): say(text, kind) sets its words and its kind
// (ready, editing, saved, invalid, warning, error), which the stylesheet and the tests read.
export function statusLine() {
  const status = document.getElementById('editor-status');
  return (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind || '';
  };
}

// What the status line says when something failed before an answer came.
export function failure(root, error) {
  return `${root.dataset.msgFailed || ''} ${error.message}`;
}

// save(body): one PUT of the file; the status line says saved, or why not.
export function draftSaver(root, say, contentType) {
  let revision = Number(root.dataset.revision);
  let refused = null; // the server's words for the 409, once it came

  return async (body) => {
    if (refused !== null) {
      say(refused, 'error');
      return;
    }
    const response = await fetch(root.dataset.fileUrl, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': contentType, 'If-Match': String(revision) },
      body
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      revision = answer.revision;
      root.dataset.revision = String(revision);
      say(root.dataset.msgSaved, 'saved');
    } else {
      const message = answer.error || root.dataset.msgFailed;
      if (response.status === 409) {
        refused = message;
      }
      say(message, 'error');
    }
  };
}

// Saving as you go (the BPMN and DMN editors): after each edit the status says "editing", and
// once the edits pause the file is saved. Saves run one after another, never two at once; a
// save the network lost says so, and the next edit tries again.
export function draftAutosave(root, say, serialize) {
  const save = draftSaver(root, say, 'application/xml');
  let timer = null;
  let saving = Promise.resolve();

  const saveNow = () => {
    clearTimeout(timer);
    saving = saving.then(async () => save(await serialize()))
      .catch((error) => say(failure(root, error), 'error'));
    return saving;
  };
  const changed = () => {
    say(root.dataset.msgEditing, 'editing');
    clearTimeout(timer);
    timer = setTimeout(saveNow, SAVE_DELAY_MS);
  };
  return { changed, saveNow };
}
