// Landmarks as an .npz file in the browser (issue 14, privacy mode): the format the server's
// landmarks upload reads (landmarks/formats/npz.py): `points` (T, 543, 3) float32 with NaN for
// a missing part, `timestamps` (T,) float64 seconds, `fps` () float64. Written as an
// uncompressed zip of .npy arrays, which numpy.load reads as it reads savez's files.
(function (root) {
  "use strict";

  const CRC_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    let crc = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  // One .npy (format 1.0, little-endian): magic, header dict padded to a 64-byte boundary, data.
  function npy(descr, shape, data) {
    const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
    header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
    const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(10 + header.length + body.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
    for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
    out.set(body, 10 + header.length);
    return out;
  }

  // A zip of stored (uncompressed) entries: local headers, then the central directory.
  function zip(entries) {
    const parts = [], central = [];
    let offset = 0;
    for (const [name, data] of entries) {
      const nameBytes = Array.from(name, (ch) => ch.charCodeAt(0));
      const crc = crc32(data);
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true); local.setUint16(4, 20, true);
      local.setUint32(14, crc, true); local.setUint32(18, data.length, true);
      local.setUint32(22, data.length, true); local.setUint16(26, nameBytes.length, true);
      const entry = new DataView(new ArrayBuffer(46));
      entry.setUint32(0, 0x02014b50, true); entry.setUint16(4, 20, true); entry.setUint16(6, 20, true);
      entry.setUint32(16, crc, true); entry.setUint32(20, data.length, true);
      entry.setUint32(24, data.length, true); entry.setUint16(28, nameBytes.length, true);
      entry.setUint32(42, offset, true);
      parts.push(new Uint8Array(local.buffer), Uint8Array.from(nameBytes), data);
      central.push(new Uint8Array(entry.buffer), Uint8Array.from(nameBytes));
      offset += 30 + nameBytes.length + data.length;
    }
    const size = central.reduce((n, part) => n + part.length, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true); end.setUint16(8, entries.length, true);
    end.setUint16(10, entries.length, true); end.setUint32(12, size, true);
    end.setUint32(16, offset, true);
    const all = [...parts, ...central, new Uint8Array(end.buffer)];
    const out = new Uint8Array(all.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of all) { out.set(part, at); at += part.length; }
    return out;
  }

  // points: Float32Array of T * 543 * 3 (NaN: not detected); timestamps: T seconds; fps: number;
  // recovered (optional): Uint8Array of T * 2, 1 where the frame's left / right hand was
  // recovered by MediaPipe Hands (handrecovery.js), written as `recovered_hands` (T, 2) bool.
  function landmarksNpz(points, timestamps, fps, recovered) {
    const frames = timestamps.length;
    if (points.length !== frames * 543 * 3) throw new Error("points must hold T x 543 x 3 values");
    const entries = [
      ["points.npy", npy("<f4", [frames, 543, 3], Float32Array.from(points))],
      ["timestamps.npy", npy("<f8", [frames], Float64Array.from(timestamps))],
      ["fps.npy", npy("<f8", [], Float64Array.of(fps))],
    ];
    if (recovered) {
      if (recovered.length !== frames * 2) throw new Error("recovered must hold T x 2 values");
      entries.push(["recovered_hands.npy",
                    npy("|b1", [frames, 2], Uint8Array.from(recovered, (v) => (v ? 1 : 0)))]);
    }
    return zip(entries);
  }

  const api = { landmarksNpz, crc32 };
  if (typeof module !== "undefined" && module.exports) module.exports = api;  // tests run it in node
  else (root.slrweb = root.slrweb || {}).npz = api;
})(this);
