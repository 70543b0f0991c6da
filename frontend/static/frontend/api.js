// Shared helpers for the page scripts: CSRF cookie, XHR upload with progress, job socket.
"use strict";
window.slrweb = window.slrweb || {};

slrweb.csrfToken = function () {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
};

// Upload a Blob/File as multipart field `video`; onProgress(percent). Resolves to the job JSON.
slrweb.uploadVideo = function (file, filename, extraFields, onProgress) {
  return new Promise(function (resolve, reject) {
    const form = new FormData();
    form.append("video", file, filename);
    Object.entries(extraFields || {}).forEach(([k, v]) => form.append(k, v));
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
    xhr.onerror = () => reject(new Error("network error"));
    xhr.send(form);
  });
};

// Watch a job over its WebSocket, reconnecting with back-off; onEvent(event) for every message.
slrweb.watchJob = function (jobId, onEvent) {
  let delay = 500, closedByUs = false, socket = null;
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(proto + "://" + location.host + "/ws/jobs/" + jobId + "/");
    socket.onopen = () => { delay = 500; };
    socket.onmessage = (m) => onEvent(JSON.parse(m.data));
    socket.onclose = (e) => {
      if (closedByUs || e.code === 4403) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
  return { close() { closedByUs = true; if (socket) socket.close(); } };
};
