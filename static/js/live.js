/* Live pages. The sidebar's Queues block, an entity's task panels and the task lists follow
   their unfinished tasks (elements with data-task-id and data-task-status) through one event
   stream of the server (tasks/events?task=...: a "status" event per change, "end" once all
   have finished; the same loop that streams a task's log). When a task starts or ends, every
   live region of the page (an element with data-live and an id) is replaced by its copy in a
   fresh render of the same page: the statuses, times, buttons and counts are the server's,
   and nothing is reloaded, so the reader keeps their place. The task page's log script calls
   the same refresh when its task ends. No framework; the page works without this script. */
(function () {
  "use strict";

  var url = document.body.dataset.statusEvents;
  var source = null;
  var shown = {};  // task id -> the status the page shows
  var refreshing = null;
  var refreshAgain = false;

  /* A status badge (the macro "badge" of _macros.html) shows ``status``. */
  function showStatus(badge, status) {
    if (!badge || !status) {
      return;
    }
    badge.className = "badge status-" + status;
    badge.dataset.status = status;
    var text = badge.querySelector(".badge-text");
    if (text) {
      text.textContent = status.charAt(0).toUpperCase() + status.slice(1);
    }
    var spinner = badge.querySelector(".spinner");
    if (status === "processing" && !spinner) {
      spinner = document.createElement("span");
      spinner.className = "spinner";
      spinner.setAttribute("aria-hidden", "true");
      badge.insertBefore(spinner, badge.firstChild);
    } else if (status !== "processing" && spinner) {
      spinner.remove();
    }
  }

  function unfinished() {
    var ids = [];
    shown = {};
    document.querySelectorAll("[data-task-id][data-task-status]").forEach(function (element) {
      var id = element.dataset.taskId;
      var status = element.dataset.taskStatus;
      shown[id] = status;
      if ((status === "queued" || status === "processing") && ids.indexOf(id) < 0) {
        ids.push(id);
      }
    });
    return ids;
  }

  /* Replace the live regions by those of a fresh render of this page, then follow the
     unfinished tasks it shows (a finished install may have queued a verify). */
  function refresh() {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(new Error("HTTP " + response.status));
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (now) {
          var then = fresh.getElementById(now.id);
          if (then) {
            now.replaceWith(document.importNode(then, true));
          }
        });
      })
      .catch(function () { /* the page stays as it is; a reload shows the news */ })
      .then(function () {
        refreshing = null;
        if (refreshAgain) {
          refreshAgain = false;
          return refresh();
        }
        follow();
      });
    return refreshing;
  }

  function changed(data) {
    var id = String(data.id);
    document.querySelectorAll('[data-task-id="' + id + '"]').forEach(function (element) {
      element.dataset.taskStatus = data.status || "";
      showStatus(element.classList.contains("badge") ? element : element.querySelector(".badge"),
                 data.status);
    });
    if (shown[id] !== data.status) {
      shown[id] = data.status;
      refresh();
    }
  }

  function follow() {
    var ids = unfinished();
    var key = ids.join(",");
    if (source && source.key === key) {
      return;
    }
    if (source) {
      source.close();
      source = null;
    }
    if (!ids.length || !url || !window.EventSource) {
      return;
    }
    source = new EventSource(url + "?" + ids.map(function (id) { return "task=" + id; }).join("&"));
    source.key = key;
    source.addEventListener("status", function (event) {
      changed(JSON.parse(event.data));
    });
    source.addEventListener("end", function () {
      if (source) {
        source.close();  // or the browser would reconnect
        source = null;
      }
    });
  }

  window.hostmasterLive = { showStatus: showStatus, refresh: refresh };
  follow();
})();
