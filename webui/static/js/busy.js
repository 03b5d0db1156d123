// A form whose work takes a while (the publish gate runs every scenario): its button says so
// and is marked busy once pressed. Markup: <button data-busy-text="...">. No inline handler:
// the Content-Security-Policy allows scripts from our own files only.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[data-busy-text]");
  if (!button) return;
  button.setAttribute("aria-busy", "true");
  button.textContent = button.dataset.busyText;
});
