// Keyboard and screen-reader behaviour the portal's pages share (WCAG 2.1.1, 2.4.3).
// - Escape dismisses the open dialog (its button marked data-dialog-dismiss), as a native one does.
// - When a dialog closes, focus goes back to what opened it, not to the top of the page.
// - When a page opens (a full load or a move inside the app) and nothing on it took focus itself,
//   focus lands on its main heading, so a screen reader announces where the user is.
(function () {
  "use strict";
  let opener = null;
  let openerText = "";
  let dialogOpen = false;
  let headingFor = null;  // the path whose heading was handled
  let headingEl = null;
  let headingAt = 0;

  document.addEventListener("focusin", function (event) {
    if (!event.target.closest(".dialog")) {
      opener = event.target;
      openerText = (opener.textContent || "").trim();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const dialogs = document.querySelectorAll(".dialog");
    const dismiss = dialogs.length && dialogs[dialogs.length - 1].querySelector("[data-dialog-dismiss]");
    if (dismiss) {
      event.preventDefault();
      dismiss.click();
    }
  });

  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  function backToOpener() {
    let target = opener && opener.isConnected ? opener : null;
    if (!target && openerText) {  // the opener was drawn again while the dialog was open
      target = Array.from(document.querySelectorAll("button, a")).find(function (el) {
        return (el.textContent || "").trim() === openerText;
      }) || null;
    }
    if (target) target.focus();
  }

  function fieldHasFocus() {  // the page put the focus in a field itself (an autofocus field)
    const active = document.activeElement;
    return !!active && active.isConnected && active.matches("main input, main select, main textarea");
  }

  function headingFirst(heading) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }

  new MutationObserver(function () {
    const open = document.querySelector(".dialog") !== null;
    if (dialogOpen && !open && focusLost()) backToOpener();
    dialogOpen = open;
    const path = window.location.pathname;
    const heading = document.querySelector("main h1");
    if (!heading) return;
    // A new page; or, just after one, the old page's heading (seen first) replaced by the new one's.
    // Only while nothing has the focus: never taken from where the person already is.
    const settling = headingFor === path && Date.now() - headingAt < 2000;
    const replaced = settling && heading !== headingEl && focusLost();
    if (headingFor !== path || replaced) {
      headingFor = path;
      headingEl = heading;
      headingAt = Date.now();
      if (!fieldHasFocus()) headingFirst(heading);
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
