/* The questionnaire's texts: what was typed and not yet saved is sent when the page is
   hidden or closed (a tab closed, the browser quit, another tab chosen), so nothing typed
   is lost. htmx saves a text after a pause in typing (templates/web/_q.html.j2); this
   sends, with fetch's keepalive (the request outlives the page), each text whose value
   differs from the one last saved, to the same autosave route with the form's CSRF token
   in the body. The portal's own script (script-src 'self'); the pages work without it. */
(function () {
  "use strict";
  var saved = {};   // field id -> the value its last successful save sent
  var sending = {}; // field id -> the value of the request under way

  function fieldOf(elt) {
    var path = elt && elt.getAttribute ? elt.getAttribute("hx-post") || "" : "";
    var found = /\/fields\/([^/?]+)/.exec(path);
    return found ? decodeURIComponent(found[1]) : null;
  }

  function input(id) {
    var elt = document.getElementById(id);
    return elt && elt.hasAttribute("data-typed") ? elt : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var id = fieldOf(event.detail.elt);
    var elt = id && input(id);
    if (elt) { sending[id] = elt.value; }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var id = fieldOf(elt);
    if (!id || !(id in sending)) { return; }
    if (event.detail.successful && elt.hasAttribute && elt.hasAttribute("data-typed")) {
      saved[id] = sending[id];
    } else if (event.detail.successful) {
      // The field's block came back: its new input shows the value as saved.
      delete saved[id];
    }
    delete sending[id];
  });

  function send(url, body) {
    try {
      fetch(url, {
        method: "POST", body: body, keepalive: true, credentials: "same-origin",
        headers: {"HX-Request": "true"}
      });
    } catch (e) {
      if (navigator.sendBeacon) { navigator.sendBeacon(url, body); }
    }
  }

  function flush() {
    var fields = document.querySelectorAll("[data-typed]");
    for (var i = 0; i < fields.length; i++) {
      var elt = fields[i];
      var id = fieldOf(elt);
      var form = elt.form;
      var token = form && form.elements.namedItem("csrf");
      if (!id || !token) { continue; }
      var last = id in saved ? saved[id] : elt.defaultValue;
      if (elt.value === last) { continue; }
      var body = new URLSearchParams();
      body.append("csrf", token.value);
      body.append(id, elt.value);
      send(elt.getAttribute("hx-post"), body);
      saved[id] = elt.value;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);
}());
