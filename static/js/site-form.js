// The site form: choosing an install profile narrows the platform list to the platforms that
// have it (each platform option lists its profiles in data-profiles). The server checks the
// pair again, so this only spares people a refused form.
(function () {
  "use strict";
  var form = document.getElementById("site-form");
  if (!form) {
    return;
  }
  var profile = form.querySelector("#profile");
  var platform = form.querySelector("#platform");
  if (!profile || !platform) {
    return;
  }

  function offers(option, wanted) {
    var profiles = (option.getAttribute("data-profiles") || "").split(" ");
    return wanted === "" || profiles.indexOf(wanted) !== -1;
  }

  function narrow() {
    var wanted = profile.value;
    var firstShown = null;
    Array.prototype.forEach.call(platform.options, function (option) {
      var shown = offers(option, wanted);
      option.hidden = !shown;
      option.disabled = !shown;
      if (shown && firstShown === null) {
        firstShown = option;
      }
    });
    var chosen = platform.options[platform.selectedIndex];
    if ((!chosen || chosen.disabled) && firstShown !== null) {
      firstShown.selected = true;
    }
  }

  profile.addEventListener("change", narrow);
  narrow();
})();
