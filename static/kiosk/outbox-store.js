// What waits on the tablet until the server has it: the outbox of requests the tablet
// could not send (new claims, saves, photos, submits), kept in IndexedDB until the
// server answers them, and the token they are sent with. They are encrypted with AES-GCM under a key that
// WebCrypto made non-extractable: the page and the service worker can use it, nobody
// can read it out. Loaded by pages (a script tag) and by the service worker
// (importScripts), after vendor/idb/umd.js.
(function (scope) {
  "use strict";

  const DATABASE = "kiosk-outbox";
  const REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  let opened = null;
  let key = null;

  function database() {
    opened = opened || scope.idb.openDB(DATABASE, 1, {
      upgrade(db) {
        db.createObjectStore("keys", { keyPath: "name" });
        const requests = db.createObjectStore("requests", { keyPath: "seq", autoIncrement: true });
        requests.createIndex("reference", "reference");
        requests.createIndex("id", "id", { unique: true });
        // Photos apart, by their request's id: listing the requests reads no photo.
        db.createObjectStore("photos", { keyPath: "id" });
        db.createObjectStore("notices", { keyPath: "reference" });
      },
    });
    return opened;
  }

  // One key per browser profile, made here and never exportable. Two contexts that make
  // one at once: the first stored wins, and both use it.
  async function cryptoKey() {
    if (key) return key;
    const db = await database();
    let stored = await db.get("keys", "outbox");
    if (!stored) {
      const made = await scope.crypto.subtle.generateKey(
        { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      try { await db.add("keys", { name: "outbox", key: made }); } catch (error) { /* taken */ }
      stored = await db.get("keys", "outbox");
    }
    key = stored.key;
    return key;
  }

  async function encrypt(bytes) {
    const iv = scope.crypto.getRandomValues(new Uint8Array(12));
    const data = await scope.crypto.subtle.encrypt({ name: "AES-GCM", iv }, await cryptoKey(), bytes);
    return { iv, data };
  }

  async function decrypt(sealed) {
    return scope.crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, await cryptoKey(), sealed.data);
  }

  const seal = async (value) => encrypt(new TextEncoder().encode(JSON.stringify(value)));
  const unseal = async (sealed) => JSON.parse(new TextDecoder().decode(await decrypt(sealed)));

  function uuid() {
    if (scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // The same form as the server's references (kiosk.models.claim): 32 symbols, so a
  // byte's low five bits pick one without bias.
  function newReference() {
    const bytes = scope.crypto.getRandomValues(new Uint8Array(8));
    return "R-" + Array.from(bytes, (b) => REFERENCE_ALPHABET[b & 31]).join("");
  }

  function changed() {
    try { new BroadcastChannel("kiosk-outbox").postMessage("changed"); } catch (error) { /* old browser */ }
  }

  // A request to send later. `fields` are [name, value] pairs; `file` a photo (Blob).
  // Returns the request's own id, which the server keeps so that a replay is the same.
  async function enqueue({ kind, reference, associate, token, step = "", fields = [], file = null, id = null }) {
    const request = {
      id: id || uuid(),
      kind,
      reference,
      step,
      associate: String(associate || ""),
      createdAt: Date.now(),
      state: "waiting",
      attempts: 0,
      nextAt: 0,
      message: "",
      sealed: await seal({ token, fields }),
      photo: Boolean(file),
    };
    const photo = file
      ? { id: request.id, type: file.type, sealed: await encrypt(await file.arrayBuffer()) }
      : null;
    const db = await database();
    const transaction = db.transaction(["requests", "photos"], "readwrite");
    if (photo) transaction.objectStore("photos").put(photo);
    transaction.objectStore("requests").add(request);
    await transaction.done;
    changed();
    return request.id;
  }

  async function requests() {
    return (await database()).getAll("requests");
  }

  async function requestsFor(reference) {
    return (await database()).getAllFromIndex("requests", "reference", reference);
  }

  async function contents(request) {
    const { token, fields } = await unseal(request.sealed);
    const photo = request.photo ? await (await database()).get("photos", request.id) : null;
    const file = photo ? new Blob([await decrypt(photo.sealed)], { type: photo.type }) : null;
    return { token, fields, file };
  }

  async function retoken(request, token) {
    const { fields } = await unseal(request.sealed);
    request.sealed = await seal({ token, fields });
    await update(request);
  }

  async function update(request) {
    await (await database()).put("requests", request);
    changed();
  }

  async function remove(request) {
    const transaction = (await database()).transaction(["requests", "photos"], "readwrite");
    transaction.objectStore("requests").delete(request.seq);
    transaction.objectStore("photos").delete(request.id);
    await transaction.done;
    changed();
  }

  // A photo not sent yet, removed by the associate: nothing of it stays here. Whether it
  // was here (it may be on its way: photos.js also asks the server to remove it).
  async function removePhoto(photoId) {
    const db = await database();
    for (const request of await db.getAll("requests")) {
      if (request.kind !== "photo") continue;
      const { fields } = await unseal(request.sealed);
      if (fields.some(([name, value]) => name === "photo_id" && value === photoId)) {
        await remove(request);
        return true;
      }
    }
    return false;
  }

  // Who unlocked the tablet, and the token that lets their requests be sent later, even
  // once the tablet is locked (the server checks it against this tablet's sign-in).
  async function sessionPut({ associate, token }) {
    await (await database()).put("keys", {
      name: "session", associate: String(associate), sealed: await seal({ token }),
    });
  }

  async function sessionGet() {
    const stored = await (await database()).get("keys", "session");
    return stored ? { associate: stored.associate, token: (await unseal(stored.sealed)).token } : null;
  }

  async function sessionForget() {
    await (await database()).delete("keys", "session");
  }

  // A claim's step as it waits to be sent: the fields of its newest waiting save, or null.
  async function waitingFields(reference, step) {
    const saves = (await requestsFor(reference))
      .filter((request) => request.kind === "save" && request.step === step)
      .sort((a, b) => b.seq - a.seq);
    return saves.length ? (await contents(saves[0])).fields : null;
  }

  async function notices() {
    return (await database()).getAll("notices");
  }

  async function noticePut(notice) {
    await (await database()).put("notices", notice);
    changed();
  }

  async function noticeRemove(reference) {
    await (await database()).delete("notices", reference);
    changed();
  }

  scope.KioskOutbox = {
    enqueue, requests, requestsFor, contents, update, retoken, remove, removePhoto,
    sessionPut, sessionGet, sessionForget, waitingFields,
    notices, noticePut, noticeRemove, uuid, newReference, seal, unseal, changed,
  };
})(self);
