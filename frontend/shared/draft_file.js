// Saving one file of a draft as you go, shared by the BPMN and the DMN editor: after each edit
// the status says "editing", and once the edits pause the file is PUT with the revision the
// page last saw (If-Match). The server refuses a stale revision with 409, so nobody
// overwrites another owner's save; after a 409 nothing more is sent until the page is
// reloaded. Saves run one after another, never two at once.
const SAVE_DELAY_MS = 800;

export function draftAutosave(root, say, serialize) {
  let revision = Number(root.dataset.revision);
  let conflict = false;
  let timer = null;
  let saving = Promise.resolve();

  const put = async () => {
    if (conflict) {
      return;
    }
    const response = await fetch(root.dataset.fileUrl, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/xml', 'If-Match': String(revision) },
      body: await serialize()
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      revision = body.revision;
      root.dataset.revision = String(revision);
      say(root.dataset.msgSaved, 'saved');
    } else {
      if (response.status === 409) {
        conflict = true;
      }
      say(body.error || root.dataset.msgFailed, 'error');
    }
  };
  const saveNow = () => {
    clearTimeout(timer);
    saving = saving.then(put);
    return saving;
  };
  const changed = () => {
    say(root.dataset.msgEditing, 'editing');
    clearTimeout(timer);
    timer = setTimeout(saveNow, SAVE_DELAY_MS);
  };
  return { changed, saveNow };
}
