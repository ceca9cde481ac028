/* The visitor's photo (issue #19): the browser's own camera, no plugin.
   "Start the camera" asks for it (getUserMedia); "Take the photo" draws the
   current frame on a canvas and puts it in the form as a JPEG data URL
   (input[data-camera-data]); the server re-encodes it. Where there is no
   camera, or it is refused, the file field below is the way. */
(function () {
  "use strict";
  var MAX_SIDE = 1024;

  function setUp(box) {
    var video = box.querySelector("[data-camera-video]");
    var preview = box.querySelector("[data-camera-preview]");
    var output = box.querySelector("[data-camera-data]");
    var start = box.querySelector("[data-camera-start]");
    var snap = box.querySelector("[data-camera-snap]");
    var problem = box.querySelector("[data-camera-error]");
    var stream = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
      snap.hidden = true;
    }

    function fail() {
      stop();
      problem.hidden = false;
    }

    if (output.value) {
      preview.src = output.value; // a photo already taken, shown again after a form error
      preview.hidden = false;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      start.hidden = true;
      problem.hidden = false;
      return;
    }
    start.addEventListener("click", function () {
      problem.hidden = true;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false }).then(function (got) {
        stream = got;
        video.srcObject = got;
        video.hidden = false;
        snap.hidden = false;
        return video.play();
      }).catch(fail);
    });
    snap.addEventListener("click", function () {
      var width = video.videoWidth, height = video.videoHeight;
      if (!width || !height) return;
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      output.value = canvas.toDataURL("image/jpeg", 0.85);
      preview.src = output.value;
      preview.hidden = false;
      start.textContent = start.dataset.retake || start.textContent;
      stop();
    });
    window.addEventListener("pagehide", stop);
  }

  document.querySelectorAll("[data-camera]").forEach(setUp);
})();
