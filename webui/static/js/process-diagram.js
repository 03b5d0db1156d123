/* Process diagrams in the bpmn-js viewer (no inline script: the CSP forbids it).
 * Every .diagram element names its BPMN file (data-diagram-url) and the elements to colour
 * (data-markers: element id -> added | removed | changed, drawn as CSS classes diff-*).
 * A page with data-refresh="N" reloads itself every N seconds (the migration progress). */
(function () {
  "use strict";

  function show(container) {
    var markers = {};
    try { markers = JSON.parse(container.getAttribute("data-markers") || "{}"); } catch (e) { markers = {}; }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport", "auto");
        Object.keys(markers).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "diff-" + markers[id]); }
        });
        container.setAttribute("data-rendered", "true");
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "flash flash-error";
        note.textContent = container.getAttribute("data-error") || "";
        container.replaceWith(note);
      });
  }

  function start() {
    if (window.BpmnJS) {
      document.querySelectorAll(".diagram[data-diagram-url]").forEach(show);
    }
    var refresh = document.querySelector("[data-refresh]");
    if (refresh) {
      var seconds = parseInt(refresh.getAttribute("data-refresh"), 10) || 2;
      window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
