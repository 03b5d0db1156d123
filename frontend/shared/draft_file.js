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
// The revision the page last saw lives in root.dataset.revision (the tests read it too).
export function draftSaver(root, say, contentType) {
  let refused = null; // the server's words for the 409, once it came

  return async (body) => {
    if (refused !== null) {
      say(refused, 'error');
      return;
    }
    const response = await fetch(root.dataset.fileUrl, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': contentType, 'If-Match': root.dataset.revision },
      body
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      root.dataset.revision = String(answer.revision);
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

// Work that follows the edits (the editors' autosave, the form's preview): after each edit
// the status says "editing", and once the edits pause for delayMs the work runs. Runs go one
// after another, never two at once; a run that fails before an answer (the network lost)
// says so, and the next edit tries again. runNow() runs it at once (tests, leaving the page).
export function afterEdits(root, say, delayMs, work) {
  let timer = null;
  let queue = Promise.resolve();

  const runNow = () => {
    clearTimeout(timer);
    queue = queue.then(work).catch((error) => say(failure(root, error), 'error'));
    return queue;
  };
  const changed = () => {
    say(root.dataset.msgEditing, 'editing');
    clearTimeout(timer);
    timer = setTimeout(runNow, delayMs);
  };
  return { changed, runNow };
}

// Saving as you go (the BPMN and DMN editors): the file is saved once the edits pause.
export function draftAutosave(root, say, serialize) {
  const save = draftSaver(root, say, 'application/xml');
  const edits = afterEdits(root, say, SAVE_DELAY_MS, async () => save(await serialize()));
  return { changed: edits.changed, saveNow: edits.runNow };
}
