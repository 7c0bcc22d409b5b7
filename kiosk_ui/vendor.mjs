// Copies the browser files of the npm packages the kiosk uses into static/vendor/.
// Run `npm ci && npm run vendor` after changing package.json, then commit static/vendor/.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const out = "static/vendor/barcode-detector";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of ["ponyfill.js", "zxing-exported.js"]) {
  copyFileSync(`node_modules/barcode-detector/dist/es/${file}`, `${out}/${file}`);
}
// The ponyfill would fetch this from a CDN; the kiosk points locateFile here instead.
copyFileSync("node_modules/zxing-wasm/dist/reader/zxing_reader.wasm", `${out}/zxing_reader.wasm`);
copyFileSync("node_modules/barcode-detector/LICENSE", `${out}/LICENSE`);
copyFileSync("node_modules/zxing-wasm/LICENSE", `${out}/LICENSE.zxing-wasm`);
