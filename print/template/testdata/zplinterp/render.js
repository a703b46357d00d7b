// render.js renders ZPL files to PNG with zpl-renderer-js (the Zebrash ZPL
// interpreter compiled to WebAssembly), for print/template's zplinterp_test.go.
// It reads a JSON array of jobs on stdin, each
//   {"zpl": path, "png": path, "widthMM": w, "heightMM": h, "dpmm": 8 or 12}
// and writes each label's PNG; one process renders them all, so the
// WebAssembly module starts once.
"use strict";
const fs = require("node:fs");
// Go's WebAssembly runtime wants Web Crypto as a global, which Node has
// only from version 19 on.
globalThis.crypto ??= require("node:crypto").webcrypto;
const { ready } = require("zpl-renderer-js");

async function main() {
  const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
  const { api } = await ready;
  for (const j of jobs) {
    const zpl = fs.readFileSync(j.zpl, "latin1");
    const png = await api.zplToBase64Async(zpl, j.widthMM, j.heightMM, j.dpmm);
    fs.writeFileSync(j.png, Buffer.from(png, "base64"));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error("zplinterp:", (err && err.stack) || String(err));
    process.exit(1);
  },
);
