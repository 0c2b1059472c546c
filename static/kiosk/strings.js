// The words the tablet's scripts show, in the page's language: the server writes them into
// the page (#kiosk-strings, from kiosk/js_strings.py), so a page kept for offline use keeps
// its words. kioskText("photo_uploading", { name: "a.jpg" }) fills %(name)s placeholders;
// kioskPlural(count, "claims_waiting", {...}) picks the `_one` or `_other` key.
(function () {
  "use strict";
  let strings = {};
  const source = document.getElementById("kiosk-strings");
  if (source) {
    try { strings = JSON.parse(source.textContent); } catch (error) { strings = {}; }
  }
  window.kioskText = function (key, params) {
    const text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    if (!params) return text;
    return text.replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
  };
  window.kioskPlural = function (count, key, params) {
    return window.kioskText(`${key}_${count === 1 ? "one" : "other"}`, Object.assign({ count }, params || {}));
  };
})();
