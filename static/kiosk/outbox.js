// The tablet's outbox on every page: registers the service worker, sends what waits
// (outbox-replay.js) when the connection is back, on load, when the page shows again
// and on a timer, and says how many claims are waiting. The start screen lists the
// associate's own waiting claims and the ones that need a correction; nobody else's.
(function () {
  "use strict";

  const body = document.body;
  const outbox = window.KioskOutbox;
  const outboxUrl = body.dataset.outboxUrl;
  const usable = outbox && outboxUrl && window.isSecureContext && window.indexedDB && window.crypto.subtle;
  if (!usable) return;
  const associate = body.dataset.associate || "";
  const TIMER_MS = 3000;
  const SHELLS_RETRY_MS = 10000;

  if ("serviceWorker" in navigator && body.dataset.serviceWorkerUrl) {
    navigator.serviceWorker.register(body.dataset.serviceWorkerUrl, { scope: "/" }).catch(() => {});
    if (document.querySelector("[data-refresh-shells]")) {
      // Unlocked, on the start screen: the blank pages a claim needs offline, for this
      // associate; then, while the screen is open, any that could not be fetched.
      const askForShells = (missingOnly) => navigator.serviceWorker.ready.then((registration) => {
        if (registration.active) registration.active.postMessage({ type: "shells", missingOnly });
      });
      askForShells(false);
      setInterval(() => { if (navigator.onLine !== false) askForShells(true); }, SHELLS_RETRY_MS);
    }
  }
  // Asks the browser not to clear the outbox under storage pressure (granted or not).
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});

  const ready = associate && body.dataset.outboxToken
    ? outbox.sessionPut({ associate, token: body.dataset.outboxToken })
    : Promise.resolve();

  async function show() {
    const requests = await outbox.requests();
    const waiting = new Map();  // reference → its requests not refused
    for (const request of requests) {
      if (request.state === "refused") continue;  // shown as a correction instead
      if (!waiting.has(request.reference)) waiting.set(request.reference, []);
      waiting.get(request.reference).push(request);
    }
    const indicator = document.querySelector("[data-outbox-indicator]");
    if (indicator) {
      indicator.hidden = waiting.size === 0;
      indicator.textContent = waiting.size
        ? kioskPlural(waiting.size, "claims_waiting")
        : "";
    }
    await showLists(waiting, requests);
  }

  async function showLists(waiting, requests) {
    const lists = document.querySelector("[data-outbox-lists]");
    if (!lists || !associate) return;
    const mine = (request) => request.associate === associate;
    const corrections = (await outbox.notices()).filter(mine);
    const waitingMine = Array.from(waiting.entries()).filter(([, list]) => list.some(mine));
    fill(lists.querySelector("[data-outbox-corrections]"), corrections, (notice) => {
      const item = document.createElement("li");
      item.className = "border rounded p-2 mb-2 d-flex flex-wrap gap-2 align-items-center justify-content-between";
      item.dataset.testid = "outbox-correction";
      const link = document.createElement("a");
      link.href = `/claims/${notice.reference}/`;
      link.className = "flex-grow-1 text-body";
      link.innerHTML = `<strong></strong> <span class="badge text-bg-danger"></span><br><span class="small"></span>`;
      link.querySelector("strong").textContent = notice.reference;
      link.querySelector(".small").textContent = notice.message;
      link.querySelector(".badge").textContent = kioskText("needs_correction");
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "btn btn-outline-secondary";
      dismiss.textContent = kioskText("dismiss");
      dismiss.addEventListener("click", async () => {
        for (const request of requests) {
          if (request.reference === notice.reference && request.state === "refused") await outbox.remove(request);
        }
        await outbox.noticeRemove(notice.reference);
      });
      link.addEventListener("click", () => outbox.noticeRemove(notice.reference));
      item.append(link, dismiss);
      return item;
    });
    fill(lists.querySelector("[data-outbox-waiting]"), waitingMine, ([reference, list]) => {
      const item = document.createElement("li");
      item.className = "border rounded p-2 mb-2";
      item.dataset.testid = "outbox-waiting-claim";
      const last = list.find((request) => request.message);
      item.innerHTML = `<strong></strong> <span class="small text-body-secondary"></span>`;
      item.querySelector("strong").textContent = reference;
      item.querySelector("span").textContent =
        `· ${kioskPlural(list.length, "requests_to_send")}` + (last ? ` · ${last.message}` : "");
      return item;
    });
    lists.hidden = !corrections.length && !waitingMine.length;
  }

  function fill(section, entries, render) {
    section.hidden = entries.length === 0;
    section.querySelector("ul").replaceChildren(...entries.map(render));
  }

  let sending = null;
  function send(now, unlocked = false) {
    if (!sending) {
      sending = ready
        .then(() => outbox.replay(outboxUrl, { now, unlocked }))
        .catch(() => {})
        .finally(() => { sending = null; show(); });
    }
    return sending;
  }

  window.addEventListener("online", () => send(true));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") send(false);
  });
  setInterval(() => { if (navigator.onLine !== false) send(false); }, TIMER_MS);
  // At most every half second: a replay changes the outbox hundreds of times.
  let showing = null;
  const showSoon = () => {
    showing = showing || setTimeout(() => { showing = null; show(); }, 500);
  };
  try {
    new BroadcastChannel("kiosk-outbox").addEventListener("message", showSoon);
  } catch (error) { /* no BroadcastChannel: the timer shows it */ }

  for (const button of document.querySelectorAll("[data-reload]")) {
    button.addEventListener("click", () => location.reload());
  }
  // The offline page comes back by itself with the connection.
  if (document.querySelector("[data-testid=offline-page]")) {
    window.addEventListener("online", () => setTimeout(() => location.reload(), 500));
  }
  // A new claim gets its reference here, so that a retry is the same claim.
  for (const field of document.querySelectorAll("[data-new-reference]")) {
    if (!field.value) field.value = outbox.newReference();
  }

  // The idle lock (tablet.js): who unlocked is forgotten here, with the blank pages in
  // their name; what waits is still sent, with the token each request carries.
  window.KioskOutboxPage = {
    lock: async () => {
      try {
        await outbox.sessionForget();
        await caches.delete("kiosk-shells");
      } catch (error) { /* nothing kept */ }
    },
    show,
  };

  // Locked (by the Lock button, or by the server): the same forgetting as the idle lock.
  for (const form of document.querySelectorAll("form[data-lock-form]")) {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.forgotten) return;
      event.preventDefault();
      await window.KioskOutboxPage.lock();
      form.dataset.forgotten = "1";
      form.requestSubmit();
    });
  }
  if (!associate && !document.querySelector("[data-testid=offline-page]")) window.KioskOutboxPage.lock();

  show();
  send(false, Boolean(body.dataset.outboxToken));
})();
