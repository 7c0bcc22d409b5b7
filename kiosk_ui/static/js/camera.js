// Camera scanning. The browser's own BarcodeDetector is used when it reads every format
// badges use; otherwise the barcode-detector ponyfill (zxing-wasm) is loaded on demand from
// our own server: its 1 MB WebAssembly file is never part of the first load where it is not needed.
const FORMATS = ["qr_code", "pdf417", "data_matrix", "aztec", "code_128", "code_39"];
const INTERVAL_MS = 120;
const REPEAT_MS = 3000; // the same badge held in front of the camera is one scan

let detectorPromise;

async function nativeDetectorWorks() {
  if (!("BarcodeDetector" in window)) return false;
  try {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    return FORMATS.every((f) => supported.includes(f));
  } catch {
    return false;
  }
}

function vendorUrl(file) {
  return `${document.body.dataset.static}vendor/barcode-detector/${file}`;
}

async function loadPonyfill() {
  // The vendored decoder loads its wasm from beside itself (see kiosk_ui/vendor.mjs).
  const module = await import(vendorUrl("ponyfill.js"));
  return new module.BarcodeDetector({ formats: FORMATS });
}

export function detector() {
  detectorPromise ??= nativeDetectorWorks().then((native) =>
    native ? new window.BarcodeDetector({ formats: FORMATS }) : loadPonyfill());
  return detectorPromise;
}

// Fetch the decoder into the service worker's cache while online, so the camera works offline later.
export async function warmDecoder() {
  if (await nativeDetectorWorks()) return;
  await Promise.all(["ponyfill.js", "zxing-exported.js", "zxing_reader.wasm"].map((f) => fetch(vendorUrl(f))));
}

export class CameraScanner {
  constructor(video, onScan) {
    this.video = video;
    this.onScan = onScan;
    this.stream = null;
    this.last = { value: null, at: 0 };
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    const found = await detector();
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.#loop(found);
  }

  stop() {
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  async #loop(found) {
    while (this.running) {
      if (this.video.readyState >= 2) {
        try {
          const codes = await found.detect(this.video);
          const value = codes[0]?.rawValue;
          const now = performance.now();
          if (value && (value !== this.last.value || now - this.last.at > REPEAT_MS)) {
            this.last = { value, at: now };
            this.onScan(value);
          } else if (value) {
            this.last.at = now;
          }
        } catch {
          // A frame the decoder could not read; the next one will do.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
  }
}
