// Sends what waits in the outbox (outbox-store.js) to the server's outbox endpoint, in
// the order it was made, one claim's requests after another. Runs in pages (on load, on
// `online`, when the page shows again and on a timer: iPad Safari has no Background
// Sync) and in the service worker (Background Sync, where the browser has it). One
// context at a time sends (Web Locks); the server takes a request it has seen as the same.
(function (scope) {
  // The page's words (strings.js); in the service worker, which has no page, English.
  const WORKER_WORDS = {
    no_connection_yet: "No connection yet.",
    steps_incomplete: "Some steps are not complete yet.",
    server_refused: "The server refused this.",
    server_answered: "The server answered %(status)s.",
  };
  function text(key, params) {
    if (scope.kioskText) return scope.kioskText(key, params);
    return WORKER_WORDS[key].replace(/%\((\w+)\)s/g, (match, name) => String((params || {})[name]));
  }
  "use strict";

  const TIMEOUT_MS = 30000;
  const RETRY_MOST_MS = 30000;
  const PARALLEL_CLAIMS = 4;
  let lastToken = "";  // the token of the last request sent, for the report that none wait

  // 2, 4, 8 … seconds, at most RETRY_MOST_MS, give or take a fifth so that fifty tablets
  // back on the same Wi-Fi do not all come back in step.
  function backoff(attempts) {
    const base = Math.min(RETRY_MOST_MS, 1000 * 2 ** Math.min(attempts, 15));
    return base * (0.8 + Math.random() * 0.4);
  }

  async function later(request, message, retryAfterMs) {
    request.attempts += 1;
    request.state = "waiting";
    request.message = message;
    request.nextAt = Date.now() + (retryAfterMs || backoff(request.attempts));
    await scope.KioskOutbox.update(request);
  }

  function retryAfter(response) {
    const seconds = Number(response.headers.get("Retry-After"));
    return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : 0;
  }

  // One request: "sent" (the server has it), "wait" (try this claim later), "refused"
  // (kept, and shown to the associate), "stop" (nothing can be sent from here now).
  async function send(url, request, waitingClaims) {
    const outbox = scope.KioskOutbox;
    const { token, fields, file } = await outbox.contents(request);
    lastToken = token || "";
    const data = new FormData();
    data.set("id", request.id);
    data.set("kind", request.kind);
    data.set("reference", request.reference);
    if (request.step) data.set("step", request.step);
    for (const [name, value] of fields) data.append(name, value);
    if (file) data.set("photo", file, "photo" + (file.type === "image/jpeg" ? ".jpg" : ""));
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {
          "X-Kiosk-Outbox-Token": token || "",
          "X-Kiosk-Automatic": "1",
          "X-Kiosk-Waiting": String(waitingClaims),
        },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      await later(request, text("no_connection_yet"));
      return "wait";
    }
    let answer = {};
    try { answer = await response.json(); } catch (error) { /* not JSON: a proxy's page */ }
    if (response.ok && answer.status) {
      await outbox.remove(request);
      if (answer.status === "needs_correction") {
        await outbox.noticePut({
          reference: request.reference,
          associate: request.associate,
          step: answer.step || "",
          message: answer.message || text("steps_incomplete"),
        });
      }
      return "sent";
    }
    if (response.status === 403 && answer.error === "token") {
      // Made before the tablet was signed in again, or long ago: the same associate's
      // token of now, if they are at the tablet, sends it.
      const session = await outbox.sessionGet();
      if (session && session.associate === request.associate && session.token !== token) {
        await outbox.retoken(request, session.token);
        return "again";
      }
    }
    if (response.status === 403 && answer.status === "refused") {
      await later(request, answer.message, RETRY_MOST_MS);
      request.state = "blocked";  // until someone unlocks the tablet: see replay's `unlocked`
      await outbox.update(request);
      return "stop";
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 429 && answer.status === "refused") {
      request.state = "refused";
      request.message = answer.message || text("server_refused");
      await outbox.update(request);
      await outbox.noticePut({
        reference: request.reference,
        associate: request.associate,
        step: request.step,
        message: request.message,
      });
      return "refused";
    }
    // Held (the draft limit): the server's own words say why it waits.
    const waitMessage = answer.status === "held" && answer.message;
    await later(request, waitMessage || text("server_answered", { status: response.status }), retryAfter(response));
    return "wait";
  }

  // One claim's requests, in order, until one of them has to wait.
  async function sendClaim(url, requests, waitingClaims) {
    for (const request of requests) {
      if (request.state === "refused") {
        // A refused photo does not hold the claim back; a refused start or save does.
        if (request.kind === "photo") continue;
        return "held";
      }
      if (request.nextAt > Date.now()) return "held";
      let outcome = await send(url, request, waitingClaims);
      if (outcome === "again") outcome = await send(url, request, waitingClaims);
      if (outcome === "stop" || outcome === "again") return "stop";
      if (outcome === "wait" || (outcome === "refused" && request.kind !== "photo")) return "held";
    }
    return "sent";
  }

  async function sendAll(url) {
    const byClaim = new Map();
    for (const request of (await scope.KioskOutbox.requests()).sort((a, b) => a.seq - b.seq)) {
      if (!byClaim.has(request.reference)) byClaim.set(request.reference, []);
      byClaim.get(request.reference).push(request);
    }
    const claims = Array.from(byClaim.values());
    let stopped = false;
    // A few claims side by side; each claim's own requests one after another.
    const lane = async () => {
      while (claims.length && !stopped) {
        if ((await sendClaim(url, claims.shift(), byClaim.size)) === "stop") stopped = true;
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_CLAIMS }, lane));
    if (byClaim.size && !(await scope.KioskOutbox.requests()).length) await reportEmpty(url);
  }

  // The desk shows what each tablet last said was waiting on it: say when nothing is.
  async function reportEmpty(url) {
    const data = new FormData();
    data.set("id", scope.KioskOutbox.uuid());
    data.set("kind", "status");
    try {
      await fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {
          "X-Kiosk-Outbox-Token": lastToken,
          "X-Kiosk-Automatic": "1",
          "X-Kiosk-Waiting": "0",
        },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      // The next run says it.
    }
  }

  // Send what is due. `now` (the connection is back) first clears every request's wait;
  // `unlocked` (someone unlocked the tablet: a token of now) clears the waits of those
  // the server refused for the tablet's sign-in or their token.
  async function replay(url, { now = false, unlocked = false } = {}) {
    if (now || unlocked) {
      for (const request of await scope.KioskOutbox.requests()) {
        const due = now ? request.state !== "refused" : request.state === "blocked";
        if (due && request.nextAt) {
          request.nextAt = 0;
          await scope.KioskOutbox.update(request);
        }
      }
    }
    if (!scope.navigator.locks) return sendAll(url);
    return scope.navigator.locks.request(
      "kiosk-outbox-replay", { ifAvailable: true }, (lock) => (lock ? sendAll(url) : null));
  }

  scope.KioskOutbox.replay = replay;
})(self);
