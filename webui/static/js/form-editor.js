// The form editor: the JSON Schema typed on the left is drawn on the right by the server,
// with the inbox's own renderer (POST to the preview address; the answer names every problem
// with its path). A form the preview accepts is saved into the draft as you go, with the
// revision the page started from: a stale revision is refused (409) and nothing is
// overwritten. Loaded as a file: the Content-Security-Policy runs no inline script.
(function () {
  'use strict';
  var root = document.getElementById('form-editor');
  if (!root) {
    return;
  }
  var DELAY_MS = 500;
  var source = document.getElementById('form-source-text');
  var preview = document.getElementById('form-preview');
  var status = document.getElementById('editor-status');
  var revision = Number(root.dataset.revision);
  var timer = null;
  var conflict = false;
  var work = Promise.resolve();

  function say(text, kind) {
    status.textContent = text;
    status.dataset.kind = kind || '';
  }

  function save(text) {
    if (conflict) {
      return Promise.resolve();
    }
    return fetch(root.dataset.fileUrl, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'If-Match': String(revision) },
      body: text
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
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
      });
    });
  }

  function refresh() {
    var text = source.value;
    return fetch(root.dataset.previewUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: text
    }).then(function (response) {
      var valid = response.headers.get('X-Form-Valid') === 'true';
      return response.text().then(function (html) {
        if (!response.ok || response.redirected) {  // refused, or signed out meanwhile
          say(root.dataset.msgFailed, 'error');
          return null;
        }
        preview.innerHTML = html;
        root.dataset.previewed = String(Number(root.dataset.previewed || '0') + 1);
        if (!valid) {
          say(root.dataset.msgInvalid, 'invalid');
          return null;
        }
        return save(text);
      });
    }).catch(function (error) {
      say(root.dataset.msgFailed + ' ' + error.message, 'error');
    });
  }

  source.addEventListener('input', function () {
    say(root.dataset.msgEditing, 'editing');
    clearTimeout(timer);
    timer = setTimeout(function () {
      work = work.then(refresh);
    }, DELAY_MS);
  });
  window.ketenflowSaveNow = function () {
    clearTimeout(timer);
    work = work.then(refresh);
    return work;
  };
  root.dataset.ready = 'true';
}());
