// Nothing typed is lost when the server side goes away mid-typing (a node dies, a deploy, a
// network blip). Every form marked data-keep-typing="<kind>" mirrors all its named fields into this
// tab's sessionStorage as it is typed. When such a form is drawn again (the tab reconnected and the
// page was refilled from the server's draft, which lags a second or more behind the keys), what
// this tab typed is put back. The mirror is dropped once its form was submitted and then went away
// (saved: the page moved on, or the dialog closed); a refused save keeps it.
// Hidden fields are mirrored too: the form's key (made when it opened) goes back with the typing,
// so a save repeated after a lost answer is still recognised as the same save.
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

  document.addEventListener("submit", function (event) {
    const form = formOf(event.target);
    if (!form) return;
    const kind = form.getAttribute("data-keep-typing");
    write(kind, { fields: fieldsOf(form), path: window.location.pathname, submitted: true });
  }, true);

  function putBack(form) {
    filled.add(form);
    const mirror = read(form.getAttribute("data-keep-typing"));
    if (!mirror || mirror.path !== window.location.pathname) return;
    Object.keys(mirror.fields).forEach(function (name) {
      const field = form.elements.namedItem(name);
      const value = mirror.fields[name];
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
      const shown = document.querySelector('form[data-keep-typing="' + CSS.escape(kind) + '"]');
      if (mirror && mirror.submitted && (!shown || mirror.path !== window.location.pathname)) {
        window.sessionStorage.removeItem(stored);
      }
    }
  }

  new MutationObserver(function () {
    dropSaved();
    document.querySelectorAll("form[data-keep-typing]").forEach(function (form) {
      if (!filled.has(form)) putBack(form);
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
