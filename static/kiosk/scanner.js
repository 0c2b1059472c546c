// Scans a product's UPC/EAN barcode with the tablet's camera: window.KioskScanner.
//
//   KioskScanner.scan({ onCode(code, format) {…}, onClose() {…} })
//
// opens a dialog with the rear camera's picture, reads the barcode, closes and calls
// onCode with its digits (format: "ean_13", "ean_8", "upc_a" or "upc_e"); closed without a
// code (Type it instead, Escape), it calls onClose. The camera is stopped whenever the
// dialog closes. The browser's own BarcodeDetector reads the code where it knows these
// formats (Android, ChromeOS, macOS); elsewhere a worker does, with the barcode-detector
// polyfill on zxing-wasm (kiosk/scanner-worker.js, started from the URL in this script
// tag's data-worker-url). Loaded by templates/kiosk/includes/scanner.html.
(function () {
  "use strict";

  const FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e"];
  const WORKER_URL = document.currentScript && document.currentScript.dataset.workerUrl;
  // A read counts when the same digits come twice in a row: one stray read of a blurred
  // frame never fills the item.
  const READS_TO_CONFIRM = 2;
  const PAUSE_MS = 60;

  const MESSAGES = {
    looking: kioskText("scan_looking"),
    starting: kioskText("scan_starting"),
    insecure: kioskText("scan_insecure"),
    noCamera: kioskText("scan_no_camera"),
    denied: kioskText("scan_denied"),
    busy: kioskText("scan_busy"),
    noDecoder: kioskText("scan_no_decoder"),
  };

  // For the tests: what the last scan used, and its camera's tracks.
  const state = { decoder: null, tracks: [] };

  // --- Decoders: { detect(video) -> Promise<[{rawValue, format}]> } ---

  async function nativeDetector() {
    const Native = window.BarcodeDetector;
    if (typeof Native !== "function" || typeof Native.getSupportedFormats !== "function") return null;
    try {
      const known = await Native.getSupportedFormats();
      if (!FORMATS.every((format) => known.includes(format))) return null;
      const detector = new Native({ formats: FORMATS });
      return { name: "native", detect: (video) => detector.detect(video) };
    } catch (error) {
      return null;
    }
  }

  let workerDecoder = null; // one worker per page: the .wasm is compiled once

  function polyfillDecoder() {
    if (workerDecoder) return workerDecoder;
    workerDecoder = new Promise((resolve, reject) => {
      if (!WORKER_URL || typeof Worker !== "function") {
        reject(new Error("No worker"));
        return;
      }
      const worker = new Worker(WORKER_URL);
      const waiting = new Map();
      let next = 0;
      worker.addEventListener("message", (event) => {
        const data = event.data;
        if (data.type === "ready") {
          resolve({
            name: "polyfill",
            async detect(video) {
              const frame = await createImageBitmap(video);
              const id = ++next;
              return new Promise((done) => {
                waiting.set(id, done);
                worker.postMessage({ id, frame }, [frame]);
              });
            },
          });
        } else if (data.type === "failed") {
          reject(new Error(data.message));
        } else if (data.type === "codes" && waiting.has(data.id)) {
          waiting.get(data.id)(data.codes);
          waiting.delete(data.id);
        }
      });
      worker.addEventListener("error", (event) => reject(new Error(event.message || "Worker failed")));
    });
    workerDecoder.catch(() => {
      workerDecoder = null; // a later scan tries again
    });
    return workerDecoder;
  }

  async function decoder() {
    return (await nativeDetector()) || polyfillDecoder();
  }

  function cameraUsable() {
    return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function supported() {
    return cameraUsable() && (typeof window.BarcodeDetector === "function" || (Boolean(WORKER_URL) && typeof Worker === "function"));
  }

  // --- The dialog ---

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    for (const child of children || []) node.append(child);
    return node;
  }

  let dialog = null;

  function dialogBuilt() {
    if (dialog) return dialog;
    const video = element("video", { muted: "", playsinline: "", autoplay: "", "aria-hidden": "true" });
    video.muted = true;
    const view = element("div", { class: "kiosk-scanner-view", "data-scanner-view": "" }, [
      video,
      element("div", { class: "kiosk-scanner-guide", "aria-hidden": "true" }),
    ]);
    dialog = element(
      "dialog",
      {
        class: "kiosk-scanner",
        "aria-labelledby": "kiosk-scanner-title",
        "aria-describedby": "kiosk-scanner-message",
        "data-testid": "barcode-scanner",
      },
      [
        element("h2", { id: "kiosk-scanner-title", class: "h4 mb-2" }, [kioskText("scan_title")]),
        element("p", { id: "kiosk-scanner-message", class: "kiosk-scanner-message", role: "status" }),
        view,
        element("div", { class: "kiosk-scanner-actions" }, [
          element("button", { type: "button", class: "btn btn-outline-primary btn-lg", "data-scanner-close": "" }, [
            kioskText("scan_type_instead"),
          ]),
        ]),
      ],
    );
    document.body.append(dialog);
    return dialog;
  }

  function say(text, problem) {
    const message = dialog.querySelector(".kiosk-scanner-message");
    message.textContent = text;
    message.classList.toggle("kiosk-scanner-problem", Boolean(problem));
    dialog.querySelector("[data-scanner-view]").hidden = Boolean(problem);
  }

  function problemOf(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return MESSAGES.denied;
    if (name === "NotFoundError" || name === "OverconstrainedError") return MESSAGES.noCamera;
    if (name === "NotReadableError" || name === "AbortError") return MESSAGES.busy;
    return MESSAGES.noDecoder;
  }

  const pause = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

  let current = null; // the open scan

  function scan({ onCode, onClose } = {}) {
    if (current) return;
    const opener = document.activeElement;
    const box = dialogBuilt();
    const video = box.querySelector("video");
    const session = { open: true, stream: null, code: null };
    current = session;

    const stop = () => {
      session.open = false;
      if (session.stream) for (const track of session.stream.getTracks()) track.stop();
      video.srcObject = null;
    };
    const closed = () => {
      box.removeEventListener("close", closed);
      closeButton.removeEventListener("click", close);
      stop();
      current = null;
      if (opener && opener.focus && document.contains(opener)) opener.focus();
      if (session.code) {
        if (onCode) onCode(session.code.rawValue, session.code.format);
      } else if (onClose) {
        onClose();
      }
    };
    const close = () => box.close();
    const closeButton = box.querySelector("[data-scanner-close]");
    box.addEventListener("close", closed);
    closeButton.addEventListener("click", close);
    box.showModal();
    closeButton.focus();

    if (!window.isSecureContext) {
      say(MESSAGES.insecure, true);
      return;
    }
    if (!cameraUsable()) {
      say(MESSAGES.noCamera, true);
      return;
    }
    say(MESSAGES.starting, false);
    run(session, video).catch((error) => {
      stop();
      if (box.open && current === session) say(problemOf(error), true);
    });
  }

  async function run(session, video) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    if (!session.open) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    session.stream = stream;
    state.tracks = stream.getTracks();
    video.srcObject = stream;
    await video.play().catch(() => {});
    const reader = await decoder();
    state.decoder = reader.name;
    if (!session.open) return;
    say(MESSAGES.looking, false);
    let last = null;
    let seen = 0;
    while (session.open) {
      if (video.readyState >= 2 && video.videoWidth > 0) {
        const codes = await reader.detect(video).catch(() => []);
        const code = codes.find((found) => FORMATS.includes(found.format));
        if (code) {
          seen = code.rawValue === last ? seen + 1 : 1;
          last = code.rawValue;
          if (seen >= READS_TO_CONFIRM && session.open) {
            session.code = { rawValue: code.rawValue, format: code.format };
            dialog.close();
            return;
          }
        }
      }
      await pause(PAUSE_MS);
    }
  }

  window.KioskScanner = { supported, scan, state, formats: FORMATS };
})();
