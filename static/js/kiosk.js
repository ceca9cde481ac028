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

  // An invitation's QR code read by the tablet's camera, where the browser can
  // decode QR codes (BarcodeDetector). A USB or Bluetooth scanner needs none of
  // this: it types the code into the field like a keyboard.
  var scan = document.querySelector("[data-scan-into]");
  if (scan && "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scan.hidden = false;
    scan.addEventListener("click", function () {
      var field = document.querySelector(scan.dataset.scanInto);
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      var video = document.createElement("video");
      video.muted = true;
      video.setAttribute("playsinline", "");
      video.className = "kiosk-scanner";
      scan.insertAdjacentElement("afterend", video);
      scan.disabled = true;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" } }).then(function (stream) {
        var done = false;
        var stop = function () {
          done = true;
          stream.getTracks().forEach(function (track) { track.stop(); });
          video.remove();
          scan.disabled = false;
        };
        var look = function () {
          if (done) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              field.value = codes[0].rawValue;
              stop();
              field.form.requestSubmit();
            } else {
              window.setTimeout(look, 250);
            }
          }, function () { window.setTimeout(look, 250); });
        };
        video.srcObject = stream;
        video.play();
        look();
        window.setTimeout(stop, 30000); // nobody in front of the camera: give up
      }, function () {
        video.remove();
        scan.hidden = true; // no camera, or not allowed: typing the code still works
      });
    });
  }

  // One tap, one submission (the server is idempotent anyway, see
  // Visit.submission_key): grey the button out once the form is on its way.
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[type=submit]");
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });
})();
