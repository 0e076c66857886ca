/* The live log of a queued or running task: polls log.json every second, appends new
   lines and updates the status badge; reloads the page once the task has finished so that
   its timings and buttons are final. No framework: the page works without this script. */
(function () {
  "use strict";

  var log = document.getElementById("task-log");
  if (!log || log.dataset.finished === "true") {
    return;
  }
  var badge = document.getElementById("task-status");
  var empty = document.getElementById("log-empty");
  var after = parseInt(log.dataset.after || "0", 10);
  var delay = 1000;
  var failures = 0;

  function appendLine(line) {
    var item = document.createElement("li");
    item.className = "log-line level-" + line.level;
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
    log.appendChild(item);
    after = Math.max(after, line.id);
  }

  function showStatus(status) {
    if (!badge) {
      return;
    }
    badge.className = "badge status-" + status;
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

  function poll() {
    var url = log.dataset.pollUrl + "?after=" + after;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        data.lines.forEach(appendLine);
        if (data.lines.length && empty) {
          empty.hidden = true;
        }
        showStatus(data.status);
        if (data.finished) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The server may be restarting: wait longer each time, up to 10 s between tries.
        failures += 1;
        window.setTimeout(poll, Math.min(delay * (failures + 1), 10000));
      });
  }

  window.setTimeout(poll, delay);
})();
