/* The lobby kiosk resets itself: after each visitor (the welcome/goodbye screen
   waits data-done-seconds) and after data-idle-seconds without a touch, so the
   next person never sees what the last one typed. location.replace() keeps the
   abandoned page out of the back history; the pages are also never cached. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) return;
  var startUrl = root.dataset.startUrl;

  function reset() {
    window.location.replace(startUrl);
  }

  var done = parseInt(root.dataset.doneSeconds || "0", 10);
  if (done > 0) window.setTimeout(reset, done * 1000);

  var idle = parseInt(root.dataset.idleSeconds || "0", 10);
  if (idle > 0) {
    var timer = null;
    var arm = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(reset, idle * 1000);
    };
    ["pointerdown", "keydown", "input", "touchstart", "wheel"].forEach(function (name) {
      document.addEventListener(name, arm, { capture: true, passive: true });
    });
    arm();
  }

  // A page brought back by the back button from the browser's memory would
  // still show a visitor's answers: start afresh instead.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) reset();
  });

  // One tap, one submission (the server is idempotent anyway, see
  // Visit.submission_key): grey the button out once the form is on its way.
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[type=submit]");
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });
})();
