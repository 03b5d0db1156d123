// Saving one file of a draft as you go, shared by the BPMN and the DMN editor: a PUT with the
// revision the page last saw (If-Match). The server refuses a stale revision with 409, so
// nobody overwrites another owner's save; after a 409 nothing more is sent until the page is
// reloaded. The status line says what happened (texts from the page's data attributes).
export function draftFileSaver(root, say) {
  let revision = Number(root.dataset.revision);
  let conflict = false;
  return async (xml) => {
    if (conflict) {
      return;
    }
    const response = await fetch(root.dataset.fileUrl, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/xml', 'If-Match': String(revision) },
      body: xml
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
}
