/* Evidence files: a file chosen that is larger than the portal accepts is named beside
   its input at once, and not sent (the input is emptied), so nobody waits for a large
   upload only to have it refused. The limit and the message come with the input
   (data-max-bytes, data-too-large: templates/web/_evidence.html.j2). The server checks
   every file all the same; the pages work without this script (script-src 'self'). */
(function () {
  "use strict";

  function check(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var note = document.getElementById(input.id + "-size");
    if (!max || !note) { return; }
    var over = false;
    for (var i = 0; i < input.files.length; i++) {
      if (input.files[i].size > max) { over = true; }
    }
    if (over) {
      input.value = "";
      note.textContent = input.getAttribute("data-too-large");
      note.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } else if (!note.hidden) {
      note.textContent = "";
      note.hidden = true;
      if (!document.getElementById(input.id + "-error")) {
        input.removeAttribute("aria-invalid");
      }
    }
  }

  document.addEventListener("change", function (event) {
    var elt = event.target;
    if (elt && elt.matches && elt.matches("input[type=file][data-max-bytes]")) { check(elt); }
  });
}());
