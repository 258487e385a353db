// Nothing typed is lost when the server side goes away mid-typing (a node dies, a deploy, a
// network blip). Every form marked data-keep-typing="<kind>" mirrors all its named fields into this
// tab's sessionStorage as it is typed. When such a form is drawn again (the tab reconnected and the
// page was refilled from the server's draft, which lags a second or more behind the keys), what
// this tab typed is put back. The mirror is dropped once its form was submitted and then went away
// (saved: the page moved on, or the dialog closed); a refused save keeps it.
// Hidden fields are mirrored too: the form's key (made when it opened) goes back with the typing,
// so a save repeated after a lost answer is still recognised as the same save.
// A save whose answer was lost (the socket dropped within moments of the click: a node stopping
// for a deploy, a crash, a blip) is sent again, as it was clicked, once the tab has reconnected:
// the server hands back what the first one saved (or refuses it again, with the reason), so the
// page learns what became of it and nobody has to click twice. Reflex's socket hooks
// (window.__reflex_otel: onSocketDisconnect, onSocketConnect) say when the socket comes and goes.
(function () {
  "use strict";
  const PREFIX = "harmony-typing:";
  const filled = new WeakSet();

  function key(kind) { return PREFIX + kind; }

  function read(kind) {
    try {
      return JSON.parse(window.sessionStorage.getItem(key(kind)) || "null");
    } catch (error) {
      return null;
    }
  }

  function write(kind, mirror) {
    try {
      window.sessionStorage.setItem(key(kind), JSON.stringify(mirror));
    } catch (error) { /* storage full or off: the server's draft still keeps most of it */ }
  }

  function fieldsOf(form) {
    const values = {};
    Array.from(form.elements).forEach(function (field) {
      if (field.name && field.type !== "file" && typeof field.value === "string") values[field.name] = field.value;
    });
    return values;
  }

  function formOf(target) {
    const form = target && (target.form || (target.closest && target.closest("form")));
    return form && form.hasAttribute("data-keep-typing") ? form : null;
  }

  document.addEventListener("input", function (event) {
    const form = formOf(event.target);
    if (!form || !filled.has(form)) return;
    write(form.getAttribute("data-keep-typing"),
          { fields: fieldsOf(form), path: window.location.pathname, submitted: false });
  }, true);

  // How long after a click a dropped socket may have taken its answer with it.
  const ANSWER_SECONDS = 30;

  document.addEventListener("submit", function (event) {
    const form = formOf(event.target);
    if (!form) return;
    const kind = form.getAttribute("data-keep-typing");
    write(kind, { fields: fieldsOf(form), path: window.location.pathname, submitted: true, sentAt: Date.now() });
  }, true);

  function shownForm(kind) {
    return document.querySelector('form[data-keep-typing="' + CSS.escape(kind) + '"]');
  }

  function unanswered(kind) {
    const mirror = read(kind);
    return mirror && mirror.submitted && mirror.path === window.location.pathname &&
      Date.now() - (mirror.sentAt || 0) < ANSWER_SECONDS * 1000 ? mirror : null;
  }

  let lost = [];  // the kinds of the forms whose answer the dropped socket may have taken
  function socketDropped(reason) {
    if (reason === "io client disconnect") return;  // the page itself closed it (leaving)
    lost = Array.from(document.querySelectorAll("form[data-keep-typing]"))
      .map(function (form) { return form.getAttribute("data-keep-typing"); })
      .filter(unanswered);
  }

  function socketBack() {
    const kinds = lost;
    lost = [];
    kinds.forEach(function (kind) {
      const form = shownForm(kind), mirror = unanswered(kind);
      if (!form || !mirror) return;  // answered after all, or typed into since
      putFields(form, mirror.fields);  // as clicked, with the key the form opened with
      form.requestSubmit();
    });
  }

  const hooks = window.__reflex_otel = window.__reflex_otel || {};
  const dropped = hooks.onSocketDisconnect, connected = hooks.onSocketConnect;
  hooks.onSocketDisconnect = function (reason) {
    socketDropped(reason);
    if (dropped) dropped.apply(this, arguments);
  };
  hooks.onSocketConnect = function () {
    if (connected) connected.apply(this, arguments);
    socketBack();
  };

  function putBack(form) {
    filled.add(form);
    const mirror = read(form.getAttribute("data-keep-typing"));
    if (!mirror || mirror.path !== window.location.pathname) return;
    putFields(form, mirror.fields);
  }

  function putFields(form, fields) {
    Object.keys(fields).forEach(function (name) {
      const field = form.elements.namedItem(name);
      const value = fields[name];
      if (!field || typeof field.value !== "string" || field.value === value) return;
      if (field.readOnly && field.type !== "hidden") return;
      field.value = value;
      if (field.type !== "hidden") {  // as if typed: the page (and the server's draft) hear of it
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function dropSaved() {
    for (let i = window.sessionStorage.length - 1; i >= 0; i--) {
      const stored = window.sessionStorage.key(i);
      if (!stored || !stored.startsWith(PREFIX)) continue;
      const kind = stored.slice(PREFIX.length);
      const mirror = read(kind);
      const shown = shownForm(kind);
      if (mirror && mirror.submitted && (!shown || mirror.path !== window.location.pathname)) {
        window.sessionStorage.removeItem(stored);
      }
    }
  }

  // The sign-in page starts a tab afresh: what the last person typed is not put before the next one.
  function forgetOnSignIn() {
    if (!/^\/login\/?$/.test(window.location.pathname)) return;
    for (let i = window.sessionStorage.length - 1; i >= 0; i--) {
      const stored = window.sessionStorage.key(i);
      if (stored && stored.startsWith(PREFIX)) window.sessionStorage.removeItem(stored);
    }
  }

  forgetOnSignIn();
  new MutationObserver(function () {
    forgetOnSignIn();
    dropSaved();
    document.querySelectorAll("form[data-keep-typing]").forEach(function (form) {
      if (!filled.has(form)) putBack(form);
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
