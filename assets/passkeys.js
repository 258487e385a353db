// Passkeys: the browser's WebAuthn calls for the portal's pages. The server makes the options (JSON)
// and checks the answer; this file only converts between JSON and the browser's binary objects.
// Each call resolves to a JSON string: the credential, or {"error": name} when the dialog was
// cancelled, timed out or failed (the server says what to do next).
//
// Autofill ("conditional UI"): on the login page a request waits, without any dialog, for the person
// to pick a passkey from the User ID field's suggestions. Only one request may be under way, so any
// dialog first stops the waiting one; it also stops itself before its challenge expires on the server,
// answering {"error": "TimeoutError"} so the page asks for a fresh one.
(function () {
  "use strict";

  let waiting = null; // the AbortController of the autofill request under way
  const RENEW_AT = 0.9; // of the options' timeout: renew a little before the server's challenge expires

  function stopWaiting() {
    if (waiting) waiting.abort("AbortError");
    waiting = null;
  }

  function toBytes(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  }

  function toText(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBytes(list) {
    return (list || []).map((c) => Object.assign({}, c, { id: toBytes(c.id) }));
  }

  // Browsers without PublicKeyCredential.parse*FromJSON / toJSON (older Safari and Firefox) get the same by hand.
  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: toBytes(o.challenge), user: Object.assign({}, o.user, { id: toBytes(o.user.id) }),
                                  excludeCredentials: withBytes(o.excludeCredentials) });
  }

  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: toBytes(o.challenge), allowCredentials: withBytes(o.allowCredentials) });
  }

  function asJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response: response,
             authenticatorAttachment: credential.authenticatorAttachment || null,
             clientExtensionResults: credential.getClientExtensionResults() };
  }

  async function run(kind, optionsText) {
    stopWaiting();
    try {
      if (!window.PublicKeyCredential) return JSON.stringify({ error: "NotSupportedError" });
      const options = JSON.parse(optionsText);
      const credential = kind === "create"
        ? await navigator.credentials.create({ publicKey: creationOptions(options) })
        : await navigator.credentials.get({ publicKey: requestOptions(options) });
      return JSON.stringify(asJSON(credential));
    } catch (e) {
      return JSON.stringify({ error: (e && e.name) || "Error" });
    }
  }

  async function autofillAvailable() {
    return !!(window.PublicKeyCredential && PublicKeyCredential.isConditionalMediationAvailable &&
              await PublicKeyCredential.isConditionalMediationAvailable());
  }

  async function autofill(optionsText) {
    stopWaiting();
    // Claimed before any await, so a newer request or a dialog started meanwhile stops this one.
    const controller = new AbortController();
    waiting = controller;
    const options = JSON.parse(optionsText);
    const timer = setTimeout(() => controller.abort("TimeoutError"), (options.timeout || 120000) * RENEW_AT);
    try {
      if (!(await autofillAvailable())) return JSON.stringify({ error: "NotSupportedError" });
      controller.signal.throwIfAborted();
      const credential = await navigator.credentials.get({
        mediation: "conditional", signal: controller.signal, publicKey: requestOptions(options) });
      return JSON.stringify(asJSON(credential));
    } catch (e) {
      if (!controller.signal.aborted) return JSON.stringify({ error: (e && e.name) || "Error" });
      return JSON.stringify({ error: controller.signal.reason === "TimeoutError" ? "TimeoutError" : "AbortError" });
    } finally {
      clearTimeout(timer);
      if (waiting === controller) waiting = null;
    }
  }

  window.harmonyPasskeys = {
    create: (optionsText) => run("create", optionsText),
    get: (optionsText) => run("get", optionsText),
    autofill: autofill,
    stop: stopWaiting,
  };
  window.dispatchEvent(new Event("harmony-passkeys-ready"));
})();
