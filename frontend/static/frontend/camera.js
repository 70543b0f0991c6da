// The camera for recording, one place for the home page (record.js), live mode (live.js) and
// the admin's reference recorder (registry/record_reference.js): whether this browser can
// record, opening the camera, and the video format to record in.
"use strict";
window.slrweb = window.slrweb || {};

slrweb.camera = {
  // MediaRecorder and a camera API: without them a page offers file uploads only.
  canRecord() {
    return Boolean(window.MediaRecorder && navigator.mediaDevices);
  },

  // A promise of the camera's stream: 640x480 asked for (what the landmark model needs, and
  // small uploads), no sound.
  open() {
    return navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  },

  // The first format this browser records (VP8/VP9 WebM, then MP4 for Safari); "" = its own.
  mimeType() {
    const candidates = ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm", "video/mp4"];
    return candidates.find((type) => window.MediaRecorder && MediaRecorder.isTypeSupported(type)) || "";
  },

  // A MediaRecorder of the stream in that format.
  recorder(stream) {
    const mimeType = slrweb.camera.mimeType();
    return new MediaRecorder(stream, mimeType ? { mimeType } : {});
  },
};
