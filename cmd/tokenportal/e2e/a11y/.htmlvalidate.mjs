// html-validate's rules for the pages as the server sends them (the browser
// tests save each page they check and run html-validate once on all of them).
// Whole documents, so the "document" preset applies too (labels of inputs,
// heading levels, references by id). A rule is changed only where it is a
// matter of taste, not of validity or accessibility; each says why.
export default {
  extends: ["html-validate:recommended", "html-validate:document"],
  rules: {
    // templ writes <!doctype html>; the doctype is case-insensitive.
    "doctype-style": "off",
    // A for= on a label that also wraps its field is redundant, not wrong,
    // and keeps the pairing explicit for speech-input software.
    "no-redundant-for": "off",
    // Ids such as "attributes.email" are valid HTML (no spaces); the strict
    // mode only eases writing CSS selectors.
    "valid-id": ["error", { relaxed: true }],
    // Subresource integrity guards files from other origins; the portal
    // serves its own CSS and JS from its own origin (with a strict CSP).
    "require-sri": ["error", { target: "crossorigin" }],
    // A group of checkboxes shares one name (actions, token_types).
    "form-dup-name": ["error", { shared: ["radio", "checkbox", "submit", "button", "reset"] }],
  },
};
