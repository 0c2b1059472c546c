// Reads UPC/EAN barcodes for kiosk/scanner.js where the browser has no BarcodeDetector of
// its own: the barcode-detector polyfill on zxing-wasm, in a dedicated worker. The worker's
// script (kiosk.scanner_views.scanner_worker) sets self.KIOSK_SCANNER, loads the polyfill's
// IIFE build and then this file. WebAssembly needs 'wasm-unsafe-eval', and a worker runs
// under the policy of its own script's response: only that response allows it, never a page.
"use strict";

const { BarcodeDetector, prepareZXingModule } = self.BarcodeDetectionAPI;

// The .wasm from our static files (the service worker keeps a copy), never the CDN the
// polyfill would fetch it from by default.
const ready = prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) => (path.endsWith(".wasm") ? self.KIOSK_SCANNER.wasmUrl : prefix + path),
  },
  fireImmediately: true,
}).then(
  () => new BarcodeDetector({ formats: self.KIOSK_SCANNER.formats }),
);

ready.then(
  () => self.postMessage({ type: "ready" }),
  (error) => self.postMessage({ type: "failed", message: String(error) }),
);

self.addEventListener("message", async (event) => {
  const { id, frame } = event.data;
  try {
    const detector = await ready;
    const codes = await detector.detect(frame);
    self.postMessage({ type: "codes", id, codes: codes.map(({ rawValue, format }) => ({ rawValue, format })) });
  } catch (error) {
    self.postMessage({ type: "codes", id, codes: [], error: String(error) });
  } finally {
    if (frame && frame.close) frame.close();
  }
});
