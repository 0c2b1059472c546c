// The shared tablet: the PIN pad, the idle lock, and the return to the start screen.
(function () {
  "use strict";

  function csrfToken() {
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      keepalive: true,
    });
  }

  // PIN pad: large digits that type into the PIN field (a keyboard works as well). When
  // the page says how long the PIN is, the pad unlocks at its last digit, as a phone does.
  const pad = document.querySelector("[data-pin-pad]");
  if (pad) {
    const form = document.querySelector("[data-pin-form]");
    const input = form.querySelector("input[name=pin]");
    const length = Number(form.dataset.pinLength) || 0;
    const longest = length || 6;
    let submitted = false;
    pad.hidden = false;
    if (length) {
      const hint = document.querySelector("[data-pin-auto-hint]");
      hint.hidden = false;
      input.setAttribute("aria-describedby", hint.parentElement.id);
    }
    // Once: a tap on Unlock, or more digits, while the PIN is on its way send nothing more.
    form.addEventListener("submit", (event) => {
      if (submitted) event.preventDefault();
      submitted = true;
    });
    // Back to this page from the history: it may be sent again.
    window.addEventListener("pageshow", (event) => { if (event.persisted) submitted = false; });
    const unlockAtLastDigit = () => {
      if (length && input.value.length === length && !submitted) form.requestSubmit();
    };
    pad.addEventListener("click", (event) => {
      const digit = event.target.closest("[data-digit]");
      if (digit && input.value.length < longest) input.value += digit.dataset.digit;
      if (event.target.closest("[data-pin-back]")) input.value = input.value.slice(0, -1);
      if (digit) unlockAtLastDigit();
    });
    // Typed on a keyboard, pasted or filled in.
    input.addEventListener("input", unlockAtLastDigit);
  }

  // What the page loads by itself is marked automatic (the idle lock does not count it);
  // once loaded, the address no longer says so, so that a person's reload counts again.
  const address = new URL(location.href);
  if (address.searchParams.has("automatic")) {
    address.searchParams.delete("automatic");
    history.replaceState(history.state, "", address);
  }

  // Set below when the tablet is unlocked: tells the server of a touch not yet reported,
  // before the page goes elsewhere by itself.
  let reportActivity = () => Promise.resolve();
  let locking = false;

  function goByItself(url) {
    reportActivity().finally(() => { if (!locking) location.replace(url); });
  }

  // After a filed claim's confirmation has been up long enough, back to the start screen.
  const confirmation = document.querySelector("[data-return-home-after]");
  if (confirmation) {
    const seconds = Number(confirmation.dataset.returnHomeAfter);
    setTimeout(() => goByItself(confirmation.dataset.returnUrl), seconds * 1000);
  }

  // A claim on its way: the page reloads until the claim number arrives.
  const refreshing = document.querySelector("[data-refresh-after]");
  if (refreshing) {
    const seconds = Number(refreshing.dataset.refreshAfter);
    setTimeout(() => goByItself(refreshing.dataset.refreshUrl), seconds * 1000);
  }

  // Idle lock: after idleSeconds without a touch, a countdown; then the customer's data
  // leaves the page, the browser's storage and this history entry, and the PIN pad returns.
  const body = document.body;
  if (!body.dataset.idleSeconds) return;
  const idleSeconds = Number(body.dataset.idleSeconds);
  const warningSeconds = Number(body.dataset.idleWarningSeconds);
  // From the associate's last activity as the server has it: a page that reloaded by
  // itself goes on counting down instead of starting again.
  let lastActivity = Date.now() - Number(body.dataset.idleFor || 0) * 1000;
  let lastPing = lastActivity;
  let dialog = null;

  reportActivity = () => {
    if (lastActivity <= lastPing) return Promise.resolve();
    lastPing = Date.now();
    return post(body.dataset.stillHereUrl).catch(() => {});
  };

  async function wipeAndLock() {
    locking = true;
    clearInterval(ticking);
    // What was typed is kept on the server's draft first, then forgotten here.
    if (window.KioskAutosave) await window.KioskAutosave.flush();
    try { sessionStorage.clear(); localStorage.clear(); } catch (error) { /* storage off */ }
    // The outbox keeps what is not sent yet (encrypted, sent even while locked); the
    // rest of this associate's offline pages goes.
    if (window.KioskOutboxPage) await window.KioskOutboxPage.lock();
    for (const form of document.forms) form.reset();
    document.querySelector("main").replaceChildren();
    history.replaceState(null, "", body.dataset.unlockUrl);
    post(body.dataset.lockUrl).finally(() => location.replace(body.dataset.unlockUrl));
  }

  // The page behind the countdown is hidden and inert: the customer's details are not
  // readable, nor reachable by a screen reader, while the tablet waits for an answer.
  function coverPage(covered) {
    for (const element of body.children) {
      if (element === dialog || element.tagName === "SCRIPT") continue;
      element.inert = covered;
      element.classList.toggle("idle-covered", covered);
    }
  }

  function showCountdown() {
    dialog = document.createElement("div");
    dialog.className = "idle-warning";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "idle-warning-title");
    dialog.setAttribute("aria-describedby", "idle-warning-text");
    const box = document.createElement("div");
    box.className = "idle-warning-box";
    const title = document.createElement("p");
    title.id = "idle-warning-title";
    title.className = "h4";
    title.textContent = kioskText("idle_title");
    const text = document.createElement("div");
    text.id = "idle-warning-text";
    const countdown = document.createElement("p");
    countdown.className = "idle-countdown";
    countdown.dataset.countdown = "";
    const kept = document.createElement("p");
    kept.textContent = kioskText("idle_kept");
    text.append(countdown, kept);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary btn-lg";
    button.textContent = kioskText("idle_still_here");
    button.addEventListener("click", activity);
    box.append(title, text, button);
    dialog.append(box);
    body.append(dialog);
    coverPage(true);
    button.focus();
  }

  function showSecondsLeft(seconds) {
    dialog.querySelector("[data-countdown]").textContent = kioskPlural(seconds, "idle_countdown", { seconds });
  }

  function activity() {
    lastActivity = Date.now();
    if (dialog) { dialog.remove(); dialog = null; coverPage(false); }
    if (Date.now() - lastPing > Math.min(60, idleSeconds / 2) * 1000) {
      lastPing = Date.now();
      post(body.dataset.stillHereUrl);
    }
  }

  for (const name of ["pointerdown", "keydown", "input", "wheel", "touchmove"]) {
    document.addEventListener(name, (event) => { if (!dialog || event.type !== "keydown") activity(); }, { passive: true, capture: true });
  }

  const ticking = setInterval(() => {
    const idle = (Date.now() - lastActivity) / 1000;
    if (idle >= idleSeconds + warningSeconds) wipeAndLock();
    else if (idle >= idleSeconds) {
      if (!dialog) showCountdown();
      showSecondsLeft(Math.ceil(idleSeconds + warningSeconds - idle));
    }
  }, 250);
})();
