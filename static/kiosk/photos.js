// Photos picked on the tablet: downscaled in the browser, then uploaded in the background
// while the associate goes on typing. Without this script the form posts them instead.
// Each photo has an id made here, so that an upload cut short and sent again, or a
// replay from the outbox, is the same photo. Offline, the service worker keeps it (202).
(window.KioskOfflineFill || Promise.resolve()).then(function () {
  "use strict";

  // At most maxSide px on the long side, JPEG at about 0.85, the EXIF orientation applied.
  // A file the browser cannot decode (HEIC in Chromium, say) goes up as it is: the server
  // converts it.
  async function downscaled(file, maxSide) {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      if (!blob || blob.size >= file.size) return file;
      return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
    } catch (error) {
      return file;
    }
  }
  window.KioskPhotos = { downscaled };  // for the benchmark of upload bytes

  const form = document.querySelector("form.claim-form[data-upload-url]");
  if (!form || !window.fetch || !window.XMLHttpRequest) return;
  const uploadUrl = form.dataset.uploadUrl;
  const maxSide = Number(form.dataset.maxSide) || 2048;
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  function listFor(input) {
    const kind = input.dataset.photoKind;
    let list = form.querySelector(`[data-photo-list="${kind}"]`);
    if (!list) {
      list = document.createElement("div");
      list.className = "attachment-list";
      list.dataset.photoList = kind;
      input.closest(".mb-3, div").after(list);
    }
    return list;
  }

  function tileFor(list, file) {
    const tile = document.createElement("figure");
    tile.className = "attachment uploading";
    tile.innerHTML =
      '<div class="upload-preview"><span class="upload-percent" aria-hidden="true"></span></div>' +
      '<progress max="1" value="0"></progress>' +
      // A figcaption may not be a status (ARIA in HTML): the status is inside it.
      '<figcaption><div class="upload-status" role="status"></div></figcaption>';
    // What was picked, until the server's thumbnail replaces it (blank for HEIC here).
    tile.dataset.previewUrl = URL.createObjectURL(file);
    tile.querySelector(".upload-preview").style.backgroundImage = `url("${tile.dataset.previewUrl}")`;
    tile.querySelector(".upload-status").textContent = kioskText("photo_preparing", { name: file.name });
    list.append(tile);
    return tile;
  }

  function newPhotoId() {
    return window.KioskOutbox && window.isSecureContext ? window.KioskOutbox.uuid() : "";
  }

  // Uploads still on their way; Next waits for them, so no photo is left behind. `sending`
  // holds each upload's bytes sent and to send, for the progress shown by the button.
  const inFlight = new Set();
  const sending = new Map();
  const photoInputs = Array.from(form.querySelectorAll("input[type=file][data-photo-kind]"));

  // A page shown offline: the photos waiting on this tablet for the claim.
  for (const photo of window.KioskKeptPhotos || []) {
    const list = form.querySelector(`[data-photo-list="${photo.kind}"]`);
    if (list) showKept(tileFor(list, photo.file), photo.photoId);
  }

  // The browser's own file button says "No file chosen" beside a photo just uploaded: in its
  // place, a button that says what the field holds ("Change photo", "2 photos added").
  // Without this script the browser's own control is there, and the form posts the files.
  function enhancePicker(input) {
    const pick = document.createElement("label");
    pick.htmlFor = input.id;
    pick.className = "btn btn-outline-primary btn-lg photo-pick";
    pick.dataset.photoPick = "";
    const held = document.createElement("span");
    held.className = "photo-held";
    held.setAttribute("role", "status");
    held.dataset.photoHeld = "";
    input.classList.add("visually-hidden");
    input.after(pick, held);
    describePicker(input);
  }

  function describePicker(input) {
    const pick = input.parentElement.querySelector("[data-photo-pick]");
    const held = input.parentElement.querySelector("[data-photo-held]");
    if (!pick || !held) return;
    const list = form.querySelector(`[data-photo-list="${input.dataset.photoKind}"]`);
    const tiles = list ? Array.from(list.querySelectorAll("figure")) : [];
    const saved = tiles.filter((tile) => !tile.matches(".uploading, .failed")).length;
    const uploading = tiles.filter((tile) => tile.matches(".uploading")).length;
    if (input.multiple) {
      pick.textContent = saved || uploading ? kioskText("photos_add_more") : kioskText("photos_add");
    } else {
      pick.textContent = saved || uploading ? kioskText("photo_change") : kioskText("photo_add");
    }
    let text;
    if (uploading) {
      text = kioskPlural(uploading, "photos_uploading");
    } else if (saved) {
      text = kioskPlural(saved, "photos_added");
    } else {
      text = kioskText("photo_none");
    }
    if (held.textContent !== text) held.textContent = text;
  }

  function describePickers() {
    for (const input of photoInputs) describePicker(input);
  }

  function showPhoto(tile, photo) {
    if (tile.dataset.previewUrl) URL.revokeObjectURL(tile.dataset.previewUrl);
    tile.className = "attachment";
    tile.dataset.photoId = photo.id;
    tile.innerHTML = "";
    const image = document.createElement("img");
    image.src = photo.thumbnail;
    image.alt = kioskText("photo");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-sm btn-outline-danger";
    remove.textContent = kioskText("remove");
    remove.dataset.removeUrl = photo.remove;
    tile.append(image, remove);
    describePickers();
  }

  // Kept on this tablet until the connection is back: its own preview, and Remove.
  function showKept(tile, photoId) {
    tile.className = "attachment kept";
    tile.dataset.keptPhotoId = photoId;
    for (const element of tile.querySelectorAll("progress, button")) element.remove();
    const status = tile.querySelector(".upload-status");
    status.textContent = kioskText("photo_kept");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-sm btn-outline-danger";
    remove.textContent = kioskText("remove");
    remove.dataset.removeKept = photoId;
    tile.append(remove);
    describePickers();
  }

  function showFailure(tile, message, retry) {
    tile.className = "attachment failed";
    const status = tile.querySelector(".upload-status");
    status.textContent = message;
    tile.querySelector("progress").hidden = true;
    const again = document.createElement("button");
    again.type = "button";
    again.className = "btn btn-sm btn-outline-primary";
    again.textContent = kioskText("try_again");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "btn btn-sm btn-outline-secondary";
    dismiss.textContent = kioskText("dismiss");
    again.addEventListener("click", () => { again.remove(); dismiss.remove(); retry(); });
    dismiss.addEventListener("click", () => { tile.remove(); describePickers(); });
    tile.append(again, dismiss);
    describePickers();
  }

  // The portal busy with other photos (503, `busy`): the same photo is sent again by
  // itself after the server's Retry-After, a few times, before the associate is asked.
  const BUSY_RETRIES = 5;

  function send(kind, file, tile, photoId, busyRetries = BUSY_RETRIES) {
    const done = new Promise((resolve) => upload(kind, file, tile, photoId, resolve, busyRetries));
    inFlight.add(done);
    sending.set(done, { loaded: 0, total: file.size, tile });
    done.then(() => { inFlight.delete(done); sending.delete(done); showWaiting(); });
    return done;
  }

  function upload(kind, file, tile, photoId, finished, busyRetries) {
    const status = tile.querySelector(".upload-status");
    const progress = tile.querySelector("progress");
    progress.hidden = false;
    tile.className = "attachment uploading";
    status.textContent = kioskText("photo_uploading", { name: file.name });
    const percent = tile.querySelector(".upload-percent");
    describePickers();
    const data = new FormData();
    data.append("kind", kind);
    data.append("photo_id", photoId);
    data.append("photo", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", uploadUrl);
    request.setRequestHeader("X-CSRFToken", csrf);
    request.setRequestHeader("X-Kiosk-Automatic", "1");  // not a person's doing: see tablet.js
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      progress.value = event.loaded / event.total;
      if (percent) percent.textContent = Math.floor((100 * event.loaded) / event.total) + "%";
      for (const bytes of sending.values()) {
        if (bytes.tile === tile) Object.assign(bytes, { loaded: event.loaded, total: event.total });
      }
      showWaiting();
    });
    let retrying = false;
    // Next waits for this photo: `finished` only once it is up or has failed.
    request.addEventListener("loadend", () => { if (!retrying) finished(); });
    request.addEventListener("load", () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (error) { /* not JSON */ }
      if (request.status === 503 && answer.busy && busyRetries > 0) {
        status.textContent = answer.error;
        const seconds = Number(request.getResponseHeader("Retry-After")) || 2;
        retrying = true;
        setTimeout(() => upload(kind, file, tile, photoId, finished, busyRetries - 1), seconds * 1000);
        return;
      }
      if (request.status === 201) {
        for (const photo of answer.photos) showPhoto(tile, photo);
      } else if (request.status === 202 && answer.kept) {
        showKept(tile, photoId);
      } else {
        showFailure(tile, answer.error || kioskText("photo_not_saved"), () => send(kind, file, tile, photoId));
      }
    });
    request.addEventListener("error", () => {
      showFailure(tile, kioskText("photo_no_connection"), () => send(kind, file, tile, photoId));
    });
    request.send(data);
  }

  for (const input of photoInputs) {
    enhancePicker(input);
    input.addEventListener("change", async () => {
      const files = Array.from(input.files);
      input.value = ""; // uploaded here, so the form's own post does not send them again
      const list = listFor(input);
      for (const file of files) {
        const tile = tileFor(list, file);
        let preparing;
        const prepared = new Promise((resolve) => { preparing = resolve; });
        inFlight.add(prepared);
        const small = await downscaled(file, maxSide);
        inFlight.delete(prepared);
        preparing();
        send(input.dataset.photoKind, small, tile, newPhotoId());
      }
    });
    // Picked while the page was still being filled in (offline-pages.js): taken now, else
    // it would go with the form's post, which the service worker keeps without its files.
    if (input.files.length) input.dispatchEvent(new Event("change"));
  }

  // Next (or Back) pressed while a photo is on its way: said where the associate looks, by
  // the button they pressed, with the upload's progress; the page goes on once it is up.
  let waiting = null;

  function showWaiting() {
    if (!waiting) return;
    let loaded = 0;
    let total = 0;
    for (const bytes of sending.values()) { loaded += bytes.loaded; total += bytes.total; }
    const percent = total ? Math.min(99, Math.floor((100 * loaded) / total)) : 0;
    waiting.notice.querySelector("[data-upload-wait-percent]").textContent = percent + "%";
  }

  form.addEventListener("submit", async (event) => {
    if (!inFlight.size) return;
    event.preventDefault();
    if (waiting) return;  // a second tap while waiting: the first one goes on by itself
    const submitter = event.submitter;
    const actions = (submitter && submitter.closest(".step-actions")) || form.querySelector(".step-actions");
    const notice = document.createElement("p");
    notice.dataset.uploadWait = "";
    notice.setAttribute("role", "status");
    notice.className = "upload-wait";
    const text = document.createElement("span");
    text.textContent = kioskText("photos_waiting");
    const percent = document.createElement("span");
    percent.className = "upload-wait-percent";
    percent.dataset.uploadWaitPercent = "";
    notice.append(Object.assign(document.createElement("span"), { className: "spinner-border spinner-border-sm" }), text, percent);
    notice.firstChild.setAttribute("aria-hidden", "true");
    if (actions) actions.prepend(notice); else form.prepend(notice);
    if (submitter) { submitter.setAttribute("aria-disabled", "true"); submitter.classList.add("is-waiting"); }
    waiting = { notice, submitter };
    showWaiting();
    while (inFlight.size) await Promise.all(Array.from(inFlight));
    notice.remove();
    if (submitter) { submitter.removeAttribute("aria-disabled"); submitter.classList.remove("is-waiting"); }
    waiting = null;
    form.requestSubmit(submitter);
  });

  // A photo kept on this tablet: gone from the outbox, and removed on the server by its
  // id through the outbox too, in case it was on its way (a removal of a photo the server
  // never had does nothing).
  form.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-remove-kept]");
    if (!button) return;
    const outbox = window.KioskOutbox;
    const photoId = button.dataset.removeKept;
    button.disabled = true;
    await outbox.removePhoto(photoId);
    const session = await outbox.sessionGet();
    const reference = /^\/claims\/([^/]+)\//.exec(location.pathname)[1];
    await outbox.enqueue({
      kind: "remove_photo", reference, associate: session && session.associate,
      token: session && session.token, fields: [["photo_id", photoId]],
    });
    button.closest("figure").remove();
    describePickers();
  });

  // Remove without a reload; the button still posts the form where this script is absent.
  form.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-remove-url]");
    if (!button) return;
    event.preventDefault();
    button.disabled = true;
    const response = await fetch(button.dataset.removeUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "X-Kiosk-Automatic": "1" },
      credentials: "same-origin",
    });
    if (response.ok) { button.closest("figure").remove(); describePickers(); }
    else button.disabled = false;
  });
});
