/* Run buttons of tasks that ask first (links with data-dialog-url) open the task's confirm
   form in a modal dialog instead of a new page. The form posts to the confirm page as it
   would without this script, so a refused or invalid form comes back on that page. Escape,
   Cancel or a click beside the dialog closes it and gives the focus back to the Run button.
   Without scripts, or a browser without <dialog>, the links open the confirm page. Clicks
   are caught on the document, so Run buttons that a live refresh (live.js) puts on the page
   open the dialog too. */
(function () {
  "use strict";

  if (!document.querySelector("a[data-dialog-url]") || typeof HTMLDialogElement !== "function") {
    return;
  }
  var dialog = document.createElement("dialog");
  dialog.className = "task-dialog";
  dialog.id = "task-dialog";
  dialog.setAttribute("aria-labelledby", "confirm-title");
  var body = document.createElement("div");
  body.className = "task-dialog-body";
  dialog.appendChild(body);
  document.body.appendChild(dialog);
  var opener = null;

  dialog.addEventListener("close", function () {
    body.replaceChildren();
    if (opener) {
      opener.focus();
    }
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog || event.target.closest(".cancel-link")) {
      event.preventDefault();  // the backdrop, or Cancel: stay on this page
      dialog.close();
    }
  });

  function open(link) {
    fetch(link.dataset.dialogUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(new Error("HTTP " + response.status));
      })
      .then(function (html) {
        body.innerHTML = html;  // rendered (and escaped) by this app's own template
        opener = link;
        dialog.showModal();
        var first = body.querySelector(
          "[aria-invalid=true], input:not([type=hidden]), select, textarea, button, a[href]"
        );
        (first || dialog).focus();
      })
      .catch(function () {
        window.location.href = link.href;  // the confirm page says what went wrong
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-dialog-url]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
        event.altKey) {
      return;  // not a Run button, or a new tab or window: that gets the confirm page
    }
    event.preventDefault();
    open(link);
  });
})();
