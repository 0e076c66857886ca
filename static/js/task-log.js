/* The live log of a task page. While the task is queued or running it follows the server's
   event stream (tasks/<id>/events: a "line" event per log line, "status" when the status
   changes, "end" when the task has finished), or polls log.json where EventSource is missing
   or refused. New lines are appended as the server renders them; the log stays scrolled to
   the bottom unless the reader scrolled up. The status badge follows the task. When the task
   ends in error the first error line is scrolled to and focused, and a "Jump to the first
   error" link appears (the server renders it for tasks that had already failed). The end
   event carries the task's times, shown at once; then the page's live regions (its facts and
   buttons, the sidebar) are refreshed by live.js. No framework: the page works without this
   script. */
(function () {
  "use strict";

  var log = document.getElementById("task-log");
  if (!log) {
    return;
  }
  var badge = document.getElementById("task-status");
  var empty = document.getElementById("log-empty");
  var jump = document.getElementById("jump-to-error");
  var after = parseInt(log.dataset.after || "0", 10);
  var ended = log.dataset.finished === "true";

  function focusFirstError() {
    var line = document.getElementById("first-error");
    if (!line) {
      return;
    }
    line.scrollIntoView({ block: "center" });
    line.focus({ preventScroll: true });
  }

  if (jump) {
    jump.addEventListener("click", function (event) {
      event.preventDefault();
      focusFirstError();
    });
  }
  if (ended) {
    return;
  }

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  }

  function appendLine(line) {
    if (line.id <= after) {
      return;  // already shown (a resumed stream or a late poll)
    }
    var item = document.createElement("li");
    item.className = "log-line level-" + line.level;
    item.dataset.id = line.id;
    if (line.level === "error" && !document.getElementById("first-error")) {
      item.id = "first-error";
      item.tabIndex = -1;
    }
    var time = document.createElement("time");
    time.dateTime = line.time;
    time.textContent = line.time.slice(11, 19);
    var level = document.createElement("span");
    level.className = "log-level";
    level.textContent = line.level;
    var message = document.createElement("span");
    message.className = "log-message";
    message.textContent = line.message;  // text, never HTML: messages come from commands
    item.append(time, level, message);
    var follow = atBottom();
    log.appendChild(item);
    if (follow) {
      log.scrollTop = log.scrollHeight;
    }
    after = line.id;
    if (empty) {
      empty.hidden = true;
    }
  }

  function showStatus(status) {
    window.hostmasterLive.showStatus(badge, status);
  }

  /* The start, end and duration the end event carries, so that "Finished: not yet" does not
     stay on the page while its fresh copy is on its way. */
  function showTimes(data) {
    [["task-started", data.started], ["task-finished", data.finished_at]].forEach(function (pair) {
      var place = document.getElementById(pair[0]);
      if (!place || !pair[1]) {
        return;
      }
      var time = document.createElement("time");
      time.dateTime = pair[1].datetime;
      time.title = pair[1].title;
      time.textContent = pair[1].text;
      place.replaceChildren(time);
    });
    var duration = document.getElementById("task-duration");
    if (duration && data.duration) {
      duration.textContent = data.duration;
    }
  }

  function finish(status, data) {
    if (ended) {
      return;
    }
    ended = true;
    log.dataset.finished = "true";
    showStatus(status);
    if (data) {
      showTimes(data);
    }
    if (status === "error" && document.getElementById("first-error")) {
      if (jump) {
        jump.hidden = false;
      }
      focusFirstError();
    }
    window.hostmasterLive.refresh();
  }

  function poll(delay, failures) {
    window.setTimeout(function () {
      fetch(log.dataset.pollUrl + "?after=" + after, {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          data.lines.forEach(appendLine);
          showStatus(data.status);
          if (data.finished) {
            finish(data.status);
          } else {
            poll(1000, 0);
          }
        })
        .catch(function () {
          // The server may be restarting: wait longer each time, up to 10 s between tries.
          poll(Math.min(1000 * (failures + 2), 10000), failures + 1);
        });
    }, delay);
  }

  function follow() {
    var source = new EventSource(log.dataset.eventsUrl + "?after=" + after);
    var opened = false;
    source.addEventListener("open", function () { opened = true; });
    source.addEventListener("line", function (event) {
      appendLine(JSON.parse(event.data));
    });
    source.addEventListener("status", function (event) {
      var data = JSON.parse(event.data);
      if (!data.finished) {
        showStatus(data.status);  // a final status comes with the end event, and its times
      }
    });
    source.addEventListener("end", function (event) {
      source.close();  // or the browser would reconnect
      var data = JSON.parse(event.data);
      finish(data.status, data);
    });
    source.addEventListener("error", function () {
      // The stream ends every half minute and the browser reconnects by itself; only a
      // refused stream (closed for good, or never opened) falls back to polling.
      if (!ended && (source.readyState === EventSource.CLOSED || !opened)) {
        source.close();
        poll(0, 0);
      }
    });
  }

  if (window.EventSource && log.dataset.eventsUrl) {
    follow();
  } else {
    poll(1000, 0);
  }
})();
