// Gloss admin page (registry.admin_enrollment): record a reference clip with the camera. Each
// recording joins the files of "Add reference clips" and is uploaded when the form is saved,
// where it is checked like any uploaded clip (probe, duration limit).
// The admin puts form media in <head>: wait for the form.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var t = window.gettext || function (s) { return s; };
  var input = document.getElementById("id_add_references");
  if (!input) { return; }
  var box = document.createElement("div");
  box.id = "reference-recorder";
  box.style.margin = "0.5em 0";
  var preview = document.createElement("video");
  preview.id = "reference-preview";
  preview.muted = true;
  preview.playsInline = true;
  preview.width = 320;
  preview.hidden = true;
  var record = document.createElement("button");
  var stop = document.createElement("button");
  var status = document.createElement("span");
  record.type = stop.type = "button";
  record.id = "reference-record";
  stop.id = "reference-stop";
  status.id = "reference-status";
  record.textContent = t("Record a clip");
  stop.textContent = t("Stop");
  stop.disabled = true;
  status.style.marginLeft = "0.5em";
  box.append(record, " ", stop, status, document.createElement("br"), preview);
  input.parentNode.insertBefore(box, input.nextSibling);

  var camera = window.slrweb.camera;  // frontend/camera.js, loaded before this file
  if (!camera.canRecord()) {
    record.disabled = true;
    status.textContent = t("This browser cannot record video; upload files instead.");
    return;
  }
  var recorder = null, stream = null, chunks = [], count = 0;

  function addFile(file) {
    // A file input's list cannot be edited in place: build a new one with the recording added.
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { transfer.items.add(f); });
    transfer.items.add(file);
    input.files = transfer.files;
  }

  function finish() {
    var type = (recorder.mimeType || "video/webm").split(";")[0];
    count += 1;
    var name = "recorded-" + count + (type === "video/mp4" ? ".mp4" : ".webm");
    addFile(new File(chunks, name, {type: type}));
    stream.getTracks().forEach(function (track) { track.stop(); });
    preview.hidden = true;
    record.disabled = false;
    stop.disabled = true;
    status.textContent = count + " " + t("clip(s) recorded; they are uploaded when you save.");
    box.dataset.recorded = String(count);
  }

  record.addEventListener("click", function () {
    record.disabled = true;
    camera.open()
      .then(function (opened) {
        stream = opened;
        preview.srcObject = opened;
        preview.hidden = false;
        preview.play().catch(function () {});
        chunks = [];
        recorder = camera.recorder(opened);
        recorder.ondataavailable = function (e) { if (e.data.size) { chunks.push(e.data); } };
        recorder.onstop = finish;
        recorder.start();
        stop.disabled = false;
        status.textContent = t("Recording… sign once, from rest to rest, then press Stop.");
      })
      .catch(function (err) {
        record.disabled = false;
        status.textContent = t("The camera could not be opened:") + " " + (err.message || err.name);
      });
  });
  stop.addEventListener("click", function () {
    stop.disabled = true;
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
  });
});
