/* A signature drawn with a finger or the mouse (issue #19): pointer events on
   a canvas; each stroke updates input[data-signature-data] with the drawing as
   a PNG data URL, which the server checks and keeps with the signed copy. */
(function () {
  "use strict";

  function setUp(box) {
    var canvas = box.querySelector("canvas");
    var output = box.querySelector("[data-signature-data]");
    var clear = box.querySelector("[data-signature-clear]");
    var context = canvas.getContext("2d");
    var drawing = false;

    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height)
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var at = point(event);
      context.beginPath();
      context.moveTo(at.x, at.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var at = point(event);
      context.lineTo(at.x, at.y);
      context.stroke();
      event.preventDefault();
    });
    function finish() {
      if (!drawing) return;
      drawing = false;
      output.value = canvas.toDataURL("image/png");
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    clear.addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      output.value = "";
    });
  }

  document.querySelectorAll("[data-signature]").forEach(setUp);
})();
