// The tablet's service worker (registered by outbox.js; served at /service-worker.js by
// kiosk.offline_views, which sets self.KIOSK first). When the network is gone:
// - the portal answers, never the browser: a claim's pages come from the step shells
//   cached at unlock, anything else from the offline page;
// - what the associate posts (a new claim, Next, a photo, Submit, the customer's
//   "English | Español") is kept in the outbox and the page goes on as if it had been saved;
// - a claim with anything still waiting goes on that way until all of it is sent, so
//   that its requests reach the server in the order they were made.
// It never caches a page with a customer's data: the shells are blank forms.
"use strict";

const CONFIG = self.KIOSK;
const STATIC_CACHE = "kiosk-static-" + CONFIG.version;
const SHELL_CACHE = "kiosk-shells";
const CLAIM_PATH = /^\/claims\/(R-[0-9A-Z]{8})\/(?:(steps)\/([a-z-]+)\/|(submit)\/|(result)\/|(photos)\/|photos\/(\d+)\/(remove)\/|(language)\/)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(CONFIG.precache)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("kiosk-static-") && name !== STATIC_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "shells") {
    event.waitUntil(shellsRefresh({ missingOnly: Boolean(event.data.missingOnly) }));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "kiosk-outbox") event.waitUntil(self.KioskOutbox.replay(CONFIG.outboxUrl, { now: true }));
});

// The blank pages a claim is shown with offline, fetched for whoever unlocked (their
// name is in the header); tablet.js deletes them at the lock. `missingOnly`: only those
// not kept yet (one whose fetch failed).
async function shellsRefresh({ missingOnly = false } = {}) {
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(Object.values(CONFIG.shells).map(async (url) => {
    if (missingOnly && (await cache.match(url))) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", redirect: "manual" });
      if (response.status === 200) await cache.put(url, response);
    } catch (error) {
      // Offline: the one kept before stays.
    }
  }));
}

function route(url) {
  const match = CLAIM_PATH.exec(url.pathname);
  if (match) {
    const [, reference, steps, step, submit, result, photos, photoPk, remove, language] = match;
    const action = steps || submit || result || photos || remove || language || "resume";
    return { reference, action, step, photoPk };
  }
  if (url.pathname === CONFIG.urls.newClaim) return { action: "new" };
  if (url.pathname === CONFIG.urls.lock) return { action: "lock" };
  if (url.pathname === CONFIG.urls.home) return { action: "home" };
  return null;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "GET") {
    if (CONFIG.precache.includes(url.pathname)) {
      event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
    } else if (request.mode === "navigate") {
      event.respondWith(navigate(request, route(url)));
    }
    return;
  }
  const where = request.method === "POST" ? route(url) : null;
  if (where && where.action !== "resume" && where.action !== "home" && where.action !== "result") {
    event.respondWith(post(request, where));
  }
});

async function waiting(reference) {
  return reference ? (await self.KioskOutbox.requestsFor(reference)).length > 0 : false;
}

function withTimeout(request, milliseconds) {
  return fetch(request, { signal: AbortSignal.timeout(milliseconds) });
}

async function navigate(request, where) {
  if (where && where.reference && (await waiting(where.reference))) {
    return (await claimShell(where)) || offlinePage(request);
  }
  try {
    return await withTimeout(request, CONFIG.timeoutMs);
  } catch (error) {
    return (where && (await claimShell(where))) || offlinePage(request);
  }
}

async function offlinePage(request) {
  const page = await caches.match(CONFIG.urls.offline);
  if (!page) return Response.error();
  return new Response(page.body, { status: 503, headers: page.headers });
}

// A claim's page from its blank shell, with the claim's reference put in.
async function claimShell(where) {
  let shell = null;
  if (where.action === "home") shell = CONFIG.shells.home;
  else if (where.action === "resume") return Response.redirect(claimUrl(where.reference, "review"), 303);
  else if (where.action === "result") shell = CONFIG.shells.result;
  else if (where.action === "steps" && CONFIG.pages.includes(where.step)) shell = CONFIG.shells[where.step];
  if (!shell) return null;
  const cached = await caches.match(shell, { cacheName: SHELL_CACHE });
  if (!cached) return null;
  const html = (await cached.text()).replaceAll(CONFIG.shellReference, where.reference || "");
  return new Response(html, { status: 200, headers: cached.headers });
}

function claimUrl(reference, step) {
  return `/claims/${reference}/steps/${step}/`;
}

async function post(request, where) {
  // The lock posts nothing: no form to read, and it must still go to the server.
  const body = await request.clone().formData().catch(() => new FormData());
  if (!(await waiting(where.reference))) {
    try {
      return await withTimeout(request, CONFIG.timeoutMs);
    } catch (error) {
      // No answer: kept below. Had the server taken it after all, the ids in it make
      // the replay the same request.
    }
  }
  const kept = await keep(request, where, body);
  if (self.registration.sync) self.registration.sync.register("kiosk-outbox").catch(() => {});
  return kept;
}

function formFields(body, leaveOut) {
  const fields = [];
  for (const [name, value] of body.entries()) {
    if (typeof value === "string" && !leaveOut.includes(name)) fields.push([name, value]);
  }
  return fields;
}

const NOT_FIELDS = ["csrfmiddlewaretoken", "request_id", "reference", "store"];

function pageAfter(step, body) {
  const pages = CONFIG.pages;
  const goto = body.get("goto");
  if (goto && pages.includes(goto)) return goto;
  const index = pages.indexOf(step === "signature" ? "review" : step);
  const nav = body.get("nav");
  if (nav === "back") return pages[Math.max(0, index - 1)];
  if (nav === "stay") return step;
  return pages[Math.min(pages.length - 1, index + 1)];
}

function seeOther(location) {
  return new Response(null, { status: 303, headers: { Location: location } });
}

function kept(answer) {
  return new Response(JSON.stringify({ kept: true, ...answer }), {
    status: 202, headers: { "Content-Type": "application/json" },
  });
}

async function keep(request, where, body) {
  const outbox = self.KioskOutbox;
  const session = await outbox.sessionGet();
  if (!session && where.action !== "lock") return offlinePage(request);
  const base = { associate: session && session.associate, token: session && session.token };
  switch (where.action) {
    case "lock":
      return seeOther(CONFIG.urls.unlock);
    case "new": {
      const reference = /^R-[0-9A-Z]{8}$/.test(body.get("reference") || "")
        ? body.get("reference") : outbox.newReference();
      await outbox.enqueue({ ...base, kind: "start", reference, fields: [["store", body.get("store") || ""]] });
      const typed = formFields(body, NOT_FIELDS).filter(([, value]) => value.trim());
      if (!typed.length) return seeOther(claimUrl(reference, CONFIG.pages[0]));
      await outbox.enqueue({
        ...base, kind: "save", reference, step: CONFIG.pages[0],
        fields: [...formFields(body, NOT_FIELDS), ["nav", "next"]],
      });
      return seeOther(claimUrl(reference, CONFIG.pages[1]));
    }
    case "steps": {
      const step = where.step;
      if (step !== "review" && body.get("offline_unloaded") !== "1") {
        await outbox.enqueue({
          ...base, kind: "save", reference: where.reference, step,
          fields: formFields(body, ["csrfmiddlewaretoken", "request_id"]),
        });
      }
      if (body.get("nav") === "autosave") return kept({});
      return seeOther(claimUrl(where.reference, pageAfter(step, body)));
    }
    case "submit":
      if (body.has("signature_data")) {
        await outbox.enqueue({
          ...base, kind: "save", reference: where.reference, step: "signature",
          fields: [...formFields(body, ["csrfmiddlewaretoken", "request_id"]), ["nav", "next"]],
        });
      }
      await outbox.enqueue({ ...base, kind: "submit", reference: where.reference });
      return seeOther(`/claims/${where.reference}/result/`);
    case "photos": {
      const photoId = body.get("photo_id") || outbox.uuid();
      await outbox.enqueue({
        ...base, kind: "photo", reference: where.reference,
        fields: [["photo_id", photoId], ["photo_kind", body.get("kind") || ""]],
        file: body.get("photo"),
      });
      return kept({ photos: [{ tablet_id: photoId, kind: body.get("kind") }] });
    }
    case "language": {
      // The customer's language, chosen on the review shown offline: sent in its turn
      // (kiosk.outbox_views), and read back by offline-pages.js to show the review in it.
      await outbox.enqueue({
        ...base, kind: "language", reference: where.reference,
        fields: [["customer_language", body.get("customer_language") || ""]],
      });
      const next = body.get("next");
      return seeOther(claimUrl(where.reference, CONFIG.pages.includes(next) ? next : "review"));
    }
    case "remove":
      await outbox.enqueue({
        ...base, kind: "remove_photo", reference: where.reference,
        fields: [["attachment", where.photoPk]],
      });
      return kept({ removed: Number(where.photoPk) });
    default:
      return offlinePage(request);
  }
}
