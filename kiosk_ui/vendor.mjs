// Copies the browser files of the npm packages the kiosk uses into static/vendor/.
// Run `npm ci && npm run vendor` after changing package.json, then commit static/vendor/.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const out = "static/vendor/barcode-detector";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync("node_modules/barcode-detector/dist/es/ponyfill.js", `${out}/ponyfill.js`);
// The package's default locateFile fetches the wasm from a CDN. The kiosk runs offline, so the
// vendored copy looks beside itself instead; the vendoring fails if that default ever changes shape.
const exported = readFileSync("node_modules/barcode-detector/dist/es/zxing-exported.js", "utf8");
const CDN_DEFAULT = /`https:\/\/fastly\.jsdelivr\.net\/npm\/zxing-wasm@[^`]*\/\$\{e\}`/;
if (!CDN_DEFAULT.test(exported)) throw new Error("zxing-exported.js: the CDN default of locateFile was not found");
writeFileSync(`${out}/zxing-exported.js`, exported.replace(CDN_DEFAULT, "new URL(e, import.meta.url).href"));
copyFileSync("node_modules/zxing-wasm/dist/reader/zxing_reader.wasm", `${out}/zxing_reader.wasm`);
copyFileSync("node_modules/barcode-detector/LICENSE", `${out}/LICENSE`);
copyFileSync("node_modules/zxing-wasm/LICENSE", `${out}/LICENSE.zxing-wasm`);
