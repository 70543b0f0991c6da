// Home page: the language picker (remembered on change) and the file upload form (sent by
// slrweb.submitClip: landmarks only when the privacy switch is on, privacy.js).
"use strict";
(function () {
  const t = slrweb.t;

  // Language picker: remember the choice as soon as it changes; the button is the no-script path.
  const languageForm = document.getElementById("language-form");
  if (languageForm) {
    const select = document.getElementById("language-select");
    const saved = document.getElementById("language-saved");
    document.getElementById("language-save").hidden = true;
    select.addEventListener("change", async function () {
      saved.textContent = (await slrweb.rememberLanguage())
        ? t(gettext("Saved: %(name)s"), { name: select.options[select.selectedIndex].text })
        : t(gettext("Could not save the choice."));
    });
  }

  const form = document.getElementById("upload-form");
  const input = document.getElementById("video-input");
  const zone = document.getElementById("drop-zone");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  let chosen = null;

  function choose(file) {
    chosen = file;
    status.textContent = file ? t(gettext("Chosen: %(name)s"), { name: file.name }) : "";
  }
  input.addEventListener("change", () => choose(input.files[0] || null));
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (e) => {
    e.preventDefault(); zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, (e) => {
    e.preventDefault(); zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (e) => choose(e.dataTransfer.files[0] || null));

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!chosen) { status.textContent = t(gettext("Choose a video first.")); input.focus(); return; }
    bar.hidden = false;
    try {
      const job = await slrweb.submitClip(chosen, chosen.name, { language: slrweb.chosenLanguage() }, (text, p) => {
        bar.value = p; status.textContent = text;
      });
      status.textContent = t(gettext("Uploaded. Opening the job…"));
      location.href = "/jobs/" + job.id + "/";
    } catch (err) {
      status.textContent = t(gettext("Upload failed: %(reason)s"), { reason: err.message });
    }
  });
})();
