// Security keys and passkeys (SPEC §14): the button of each .webauthn
// block hands the options of the ceremony the portal began for the page
// (data-options; the CSP allows no fetch) to the browser's WebAuthn API,
// and puts the answer into the block's hidden field "credential"; with
// data-submit the form is then posted. The words come from the page's
// data attributes, translated by the server. Without script, or without
// WebAuthn, the button stays hidden.
(function () {
  "use strict";
  if (window.tokenportalWebAuthn) return; // the script may be included twice
  window.tokenportalWebAuthn = true;

  function bytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function text(buf) {
    var b = new Uint8Array(buf);
    var s = "";
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The options as JSON carry binary fields in base64url.
  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = bytes(pk.challenge);
    pk.user.id = bytes(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return { publicKey: pk };
  }
  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = bytes(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return { publicKey: pk };
  }

  function answer(cred) {
    var r = cred.response;
    var out = { id: cred.id, rawId: text(cred.rawId), type: cred.type, response: {
      clientDataJSON: text(r.clientDataJSON) } };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    out.clientExtensionResults = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    if (r.attestationObject) {
      out.response.attestationObject = text(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = text(r.authenticatorData);
      out.response.signature = text(r.signature);
      if (r.userHandle) out.response.userHandle = text(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function setup(block) {
    var button = block.querySelector(".webauthn-start");
    var status = block.querySelector(".webauthn-status");
    var field = block.querySelector("input[name=credential]");
    var form = block.closest("form");
    var create = block.getAttribute("data-webauthn") === "create";
    function say(name) {
      status.textContent = block.getAttribute("data-msg-" + name) || "";
      status.className = "webauthn-status" + (name === "ready" || name === "waiting" ? "" : " error");
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say("unsupported");
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function (ev) {
      ev.preventDefault(); // a submit button: the form goes once the key answered
      var name = form && form.querySelector("input[name=name]");
      if (create && name && !name.value.trim()) {
        say("name");
        name.focus();
        return;
      }
      button.disabled = true;
      say("waiting");
      var options;
      try {
        options = JSON.parse(block.getAttribute("data-options"));
      } catch (e) {
        button.disabled = false;
        say("failed");
        return;
      }
      (create ? navigator.credentials.create(creationOptions(options))
        : navigator.credentials.get(requestOptions(options))
      ).then(function (cred) {
        field.value = answer(cred);
        say("ready");
        if (block.hasAttribute("data-submit")) {
          if (form.requestSubmit) form.requestSubmit(); else form.submit();
        }
      }).catch(function (err) {
        button.disabled = false;
        if (err && err.name === "InvalidStateError") {
          say("exists"); // the key is registered already (excludeCredentials)
        } else if (err && (err.name === "NotAllowedError" || err.name === "AbortError")) {
          say("cancelled");
        } else {
          say("failed");
        }
      });
    });
  }

  function start() {
    var blocks = document.querySelectorAll(".webauthn[data-webauthn]");
    for (var i = 0; i < blocks.length; i++) setup(blocks[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
