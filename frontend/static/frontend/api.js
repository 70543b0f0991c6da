// Shared helpers for the page scripts: translations, CSRF, XHR upload with progress, job socket.
"use strict";
window.slrweb = window.slrweb || {};

// Django's JavaScript catalogue (/jsi18n/, loaded by base.html) defines gettext and interpolate.
// Call sites write t(gettext("text %(name)s"), {name}) so that makemessages finds the strings.
if (typeof window.gettext !== "function") window.gettext = (text) => text;
slrweb.t = function (translated, values) {
  if (!values) return translated;
  return translated.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
};

slrweb.csrfToken = function () {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
};

// The sign language chosen on the page ("" when no language has an active model).
slrweb.chosenLanguage = function () {
  const select = document.getElementById("language-select");
  return select ? select.value : "";
};

// Remember the chosen language for this user (the picker's change, and every upload with it).
slrweb.rememberLanguage = function () {
  const form = document.getElementById("language-form");
  const code = slrweb.chosenLanguage();
  if (!form || !code) return Promise.resolve(false);
  return fetch(form.action, {
    method: "POST", body: new URLSearchParams({ language: code }),
    headers: { "X-CSRFToken": slrweb.csrfToken(), Accept: "application/json" },
  }).then((response) => response.ok, () => false);
};

// The multipart field a file goes in: `landmarks` for a .pose/.npz landmark file (a job without
// a video: it never leaves the device), else `video`.
slrweb.uploadField = function (filename) {
  return /\.(pose|npz)$/i.test(filename || "") ? "landmarks" : "video";
};

// Upload a Blob/File as multipart field `video` (or `landmarks`, see uploadField);
// onProgress(percent). Resolves to the job JSON.
slrweb.uploadVideo = function (file, filename, extraFields, onProgress) {
  return new Promise(function (resolve, reject) {
    const form = new FormData();
    form.append(slrweb.uploadField(filename), file, filename);
    Object.entries(extraFields || {}).forEach(([k, v]) => { if (v) form.append(k, v); });
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/jobs/");
    xhr.setRequestHeader("X-CSRFToken", slrweb.csrfToken());
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round(100 * e.loaded / e.total)); };
    xhr.onload = function () {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* keep empty */ }
      if (xhr.status === 201) resolve(body);
      else reject(new Error(body.detail || ("HTTP " + xhr.status)));
    };
    xhr.onerror = () => reject(new Error(slrweb.t(gettext("network error"))));
    slrweb.rememberLanguage();
    xhr.send(form);
  });
};

// Watch a job over its WebSocket, reconnecting with back-off after a dropped connection.
// onEvent(event) for every message; onConnection("open" | "retrying" | "refused").
// The server sends the job's current state first on every (re)connection, so nothing is missed.
slrweb.watchJob = function (jobId, onEvent, onConnection) {
  // A refused handshake (not your job, logged out) reaches a browser as a close before "open";
  // after this many in a row we stop and say so instead of retrying for ever.
  const MAX_UNOPENED = 6;
  let delay = 500, closedByUs = false, socket = null, unopened = 0;
  const notify = onConnection || function () {};
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    let opened = false;
    socket = new WebSocket(proto + "://" + location.host + "/ws/jobs/" + jobId + "/");
    socket.onopen = () => { opened = true; unopened = 0; delay = 500; notify("open"); };
    socket.onmessage = (m) => onEvent(JSON.parse(m.data));
    socket.onclose = (e) => {
      if (closedByUs) return;
      unopened = opened ? 0 : unopened + 1;
      if (e.code === 4403 || unopened >= MAX_UNOPENED) { notify("refused"); return; }
      notify("retrying", delay);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
  return {
    close() { closedByUs = true; if (socket) socket.close(); },
    // For tests and the "reconnect now" case: drop the socket as a network failure would.
    drop() { if (socket) socket.close(); },
  };
};
