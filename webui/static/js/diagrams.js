/* The cockpit's diagrams: bpmn-js draws a process from the server's BPMN file and marks its
   elements with CSS classes (no inline styles: the Content-Security-Policy allows none).
   An element [data-src] gets the diagram; [data-marks] colours the path of one instance
   (passed, current, failed); [data-heat] shades each element by how many cases wait there
   and shows the count. A select [data-diagram-for] switches the drawn process. */
(function () {
  "use strict";

  function parse(text) {
    try { return JSON.parse(text || "null"); } catch (e) { return null; }
  }

  function mark(viewer, container) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var marks = parse(container.getAttribute("data-marks"));
    var heat = parse(container.getAttribute("data-heat"));
    function add(id, cls) { if (registry.get(id)) { canvas.addMarker(id, cls); } }
    if (marks) {
      (marks.passed || []).forEach(function (id) { add(id, "kf-passed"); });
      (marks.current || []).forEach(function (id) { add(id, "kf-current"); });
      if (marks.failed) { add(marks.failed, "kf-failed"); }
    }
    if (heat) {
      var overlays = viewer.get("overlays");
      Object.keys(heat).forEach(function (id) {
        var cell = heat[id];
        if (!registry.get(id) || !cell.heat) { return; }
        add(id, "kf-heat-" + cell.heat);
        var badge = document.createElement("span");
        badge.className = "kf-count";
        badge.textContent = cell.label;
        overlays.add(id, {position: {top: -10, right: 10}, html: badge});
      });
    }
  }

  function draw(container, viewer) {
    var src = container.getAttribute("data-src");
    return fetch(src, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        mark(viewer, container);
        container.setAttribute("data-drawn", "true");
      })
      .catch(function (error) {
        container.setAttribute("data-drawn", "failed");
        container.textContent = String(error && error.message || error);
      });
  }

  function start() {
    if (typeof BpmnJS === "undefined") { return; }
    document.querySelectorAll(".diagram[data-src]").forEach(function (container) {
      var viewer = new BpmnJS({container: container});
      draw(container, viewer);
      document.querySelectorAll("[data-diagram-for='" + container.id + "']").forEach(
        function (select) {
          select.addEventListener("change", function () {
            container.setAttribute("data-src", select.value);
            container.setAttribute("data-drawn", "false");
            draw(container, viewer);
          });
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
