// Inbox niceties on top of htmx (the page works without this file):
// after a claim/release swaps the list, keep keyboard focus in the list.
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.target && event.target.id === "inbox-list") {
    var status = event.target.querySelector("[role=status] .flash");
    var focusTarget = status || event.target.querySelector("a, button");
    if (focusTarget && focusTarget.focus) {
      if (!focusTarget.hasAttribute("tabindex")) { focusTarget.setAttribute("tabindex", "-1"); }
      focusTarget.focus();
    }
  }
});
