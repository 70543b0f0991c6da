"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const input = document.getElementById("video-input");
  const zone = document.getElementById("drop-zone");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  let chosen = null;

  function choose(file) { chosen = file; status.textContent = file ? file.name : ""; }
  input.addEventListener("change", () => choose(input.files[0] || null));
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => choose(e.dataTransfer.files[0] || null));

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!chosen) { status.textContent = "Choose a video first."; return; }
    bar.hidden = false;
    try {
      const job = await slrweb.uploadVideo(chosen, chosen.name, {}, (p) => {
        bar.value = p; status.textContent = "Uploading… " + p + "%";
      });
      location.href = "/jobs/" + job.id + "/";
    } catch (err) {
      status.textContent = "Upload failed: " + err.message;
    }
  });
})();
