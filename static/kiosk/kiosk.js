// Progressive enhancement for the claim steps; every step also works without it.
// On a page shown offline, it starts once offline-pages.js has put the kept input back.
(window.KioskOfflineFill || Promise.resolve()).then(function () {
  "use strict";

  // Sent in the background, not a person's doing: it does not put off the idle lock
  // (a touch is reported by tablet.js).
  const AUTOMATIC = { "X-Kiosk-Automatic": "1" };
  const UNSENT = "kiosk-unsent";

  // The typed signature, where the store allows it: the server draws the name the
  // customer types. Typing empties the pad and drawing empties the name, so that one
  // signature is sent. Enter or Space on the pad opens it, for whoever has a keyboard.
  let clearPad = () => {};
  const canvas = document.querySelector("[data-signature-canvas]");
  const typedPanel = document.querySelector("[data-typed-signature]");
  const typedName = document.querySelector("[data-typed-signature-name]");
  if (typedPanel && typedName) {
    // After the click (Enter and Space on a summary are one) has opened or closed it.
    typedPanel.querySelector("summary").addEventListener("click", () => setTimeout(() => {
      if (typedPanel.open) typedName.focus();
      else typedName.value = "";  // closed: not signed by typing after all
    }));
    typedName.addEventListener("input", () => { if (typedName.value.trim()) clearPad(); });
    if (canvas) {
      canvas.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        typedPanel.open = true;
        typedName.focus();
      });
    }
  }

  // Signature pad: draws on a canvas, hands a PNG data URL to the hidden field.
  if (canvas && window.SignaturePad) {
    const field = document.getElementById("id_signature_data");
    const clearFlag = document.getElementById("id_clear_signature");
    const pad = new window.SignaturePad(canvas, { backgroundColor: "rgba(0,0,0,0)" });
    const resize = () => {
      const data = pad.isEmpty() ? null : pad.toData();
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data) pad.fromData(data);
    };
    window.addEventListener("resize", resize);
    resize();
    if (field.value) pad.fromDataURL(field.value);
    clearPad = () => { pad.clear(); field.value = ""; };
    pad.addEventListener("endStroke", () => {
      field.value = pad.toDataURL("image/png");
      if (typedName) typedName.value = "";
    });
    canvas.dataset.ready = "";  // drawing is taken from now on (offline, after the kept input)
    document.querySelector("[data-signature-clear]").addEventListener("click", () => {
      clearPad();
      if (typedName) typedName.value = "";
    });
    const resign = document.querySelector("[data-signature-resign]");
    if (resign) {
      resign.addEventListener("click", () => {
        document.querySelector("[data-signature-stored]").hidden = true;
        document.querySelector("[data-signature-area]").hidden = false;
        clearFlag.value = "True";
        resize();
      });
    }
  }

  // The claim's language as the server has it, for its review shown offline before this
  // tablet kept anything for the claim (offline-pages.js reads it).
  const claimPath = /^\/claims\/(R-[0-9A-Z]{8})\//.exec(location.pathname);
  const claimLanguage = document.querySelector("input[type=hidden][name=customer_language]");
  if (claimPath && claimLanguage && claimLanguage.value && !document.body.hasAttribute("data-offline-shell")) {
    try {
      sessionStorage.setItem(`kiosk-language:${claimPath[1]}`, claimLanguage.value);
    } catch (error) {
      // Storage full or refused: the offline review falls back to the store's language.
    }
  }

  // On a phone the step bar scrolls sideways: keep the current step in view.
  const currentStep = document.querySelector(".step-nav [aria-current=step]");
  if (currentStep) currentStep.scrollIntoView({ block: "nearest", inline: "center" });

  // Warranty period: the custom field only matters when "Other…" is chosen.
  const period = document.getElementById("id_warranty_period_choice");
  const custom = document.querySelector("[data-other-period]");
  if (period && custom) {
    const sync = () => { custom.hidden = period.value !== "other"; };
    period.addEventListener("change", sync);
    sync();
  }

  // Issue: the shipping problems show once "Another problem…" is chosen.
  const otherProblems = document.querySelector("[data-other-problems]");
  if (otherProblems) {
    const issueChoices = document.querySelectorAll("input[name=issue_type]");
    const sync = () => {
      otherProblems.hidden = !document.querySelector("input[name=issue_type][value=other]:checked");
    };
    for (const choice of issueChoices) choice.addEventListener("change", sync);
    sync();
  }

  // Address: refill the state list when the country changes.
  const country = document.getElementById("id_ship_country");
  const state = document.getElementById("id_ship_state");
  const script = document.querySelector("script[data-subdivisions-url]");
  if (country && state && script) {
    country.addEventListener("change", async () => {
      const url = script.dataset.subdivisionsUrl + "?country=" + encodeURIComponent(country.value);
      const response = await fetch(url, { credentials: "same-origin", headers: AUTOMATIC });
      const { subdivisions } = await response.json();
      state.replaceChildren(new Option("—", ""));
      for (const s of subdivisions) state.add(new Option(s.name, s.code));
      state.disabled = subdivisions.length === 0;
    });
  }

  // Address: a US ZIP code fills the city and the state (kiosk.geography.postal_code_place),
  // never over a city the associate typed or a state they chose. Offline, or on any
  // error, it does nothing: the associate types them as before.
  const zip = document.getElementById("id_ship_zip");
  const city = document.getElementById("id_ship_city");
  const fillStatus = document.querySelector("[data-postal-code-fill]");
  if (zip && city && country && state && fillStatus && window.fetch) {
    const US_ZIP = /^\s*(\d{5})(?:-\d{4})?\s*$/;
    const street = document.getElementById("id_ship_address1");
    // The state a fresh address opens with is the store's, put there when the claim was
    // started: not the associate's choice. Any other, or any they pick here, is.
    let stateChosen = Boolean(state.value) && !(
      state.value === fillStatus.dataset.storeState && !street.value && !city.value && !zip.value
    );
    const filled = { city: null, state: null };  // what the last lookup put in
    let filling = false;
    let asked = "";
    let hideTimer = null;
    state.addEventListener("change", () => { if (!filling) stateChosen = true; });
    const fill = (field, value, eventType) => {
      field.value = value;
      filling = true;
      field.dispatchEvent(new Event(eventType, { bubbles: true }));  // saved as typed input is
      filling = false;
    };
    const lookup = async () => {
      const match = country.value === "US" ? US_ZIP.exec(zip.value) : null;
      if (!match) { asked = ""; return; }
      if (match[1] === asked) return;
      asked = match[1];
      const query = new URLSearchParams({ country: "US", postal_code: match[1] });
      let place;
      try {
        const response = await fetch(fillStatus.dataset.lookupUrl + "?" + query, {
          credentials: "same-origin", headers: AUTOMATIC,
        });
        if (!response.ok) return;  // not a ZIP code the portal knows
        place = await response.json();
      } catch {
        if (asked === match[1]) asked = "";  // offline: asked again at the next keystroke
        return;
      }
      if (asked !== match[1]) return;  // the ZIP code changed while this was on its way
      const said = [];
      if (!city.value.trim() || city.value === filled.city) {
        fill(city, place.city, "input");
        filled.city = place.city;
        said.push(place.city);
      }
      const known = Array.from(state.options).some((option) => option.value === place.state);
      if (known && (!state.value || state.value === filled.state || !stateChosen)) {
        fill(state, place.state, "change");
        filled.state = place.state;
        said.push(place.state.split("-")[1]);
      }
      if (!said.length) return;
      fillStatus.textContent = kioskText("zip_filled", { places: said.join(", ") });
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => { fillStatus.textContent = ""; }, 8000);
    };
    zip.addEventListener("input", lookup);
    zip.addEventListener("change", lookup);
  }

  // The header says where the step's input is: saved on the server, on its way, or kept
  // on this tablet until the connection is back (the service worker answers 202 then).
  const saveIndicator = document.querySelector("[data-save-indicator]");
  const SAVE_STATES = {
    saving: kioskText("saving"),
    saved: kioskText("saved"),
    kept: kioskText("kept"),
    unsaved: kioskText("unsaved"),
  };
  function saveState(state) {
    if (!saveIndicator) return;
    saveIndicator.textContent = SAVE_STATES[state];
    saveIndicator.dataset.state = state;
  }
  if (document.body.hasAttribute("data-offline-shell")) saveState("kept");

  // Saved as the associate goes: each change is sent in the background, and whatever is
  // still unsent when the page is hidden or closed goes with `keepalive`. Each save is
  // stamped with when it was made (this tablet's clock, in the field page_rendered_at)
  // and numbered, so that the server can tell an older one that arrives late, from
  // this page, another tab or the outbox: the input given last wins.
  const stepForm = document.querySelector("form.claim-form[data-step]:not([data-step=review])");
  if (stepForm && window.fetch) {
    let dirty = false;
    let timer = null;
    let retryDelay = 0;
    const sequence = stepForm.elements.input_sequence;
    // A save that did not reach the server (no network, the server busy or failing) is
    // sent again by itself, sooner first, then at most every 30 s, until one goes
    // through or the associate types again. A refusal (a 4xx but 429: the claim sent
    // meanwhile, a lost session) waits for new input.
    const retryLater = (status) => {
      dirty = true;
      saveState("unsaved");
      if (status >= 400 && status < 500 && status !== 429) return;
      retryDelay = Math.min(retryDelay ? retryDelay * 2 : 1000, 30000);
      clearTimeout(timer);
      timer = setTimeout(() => save(false), retryDelay);
    };
    const send = (data, keepalive) => {
      saveState("saving");
      return fetch(stepForm.action || location.href, {
        method: "POST", body: data, credentials: "same-origin", keepalive, headers: AUTOMATIC,
      }).then(async (response) => {
        if (response.ok) retryDelay = 0;
        if (response.status === 202) saveState("kept");
        else if (response.status === 200) {
          // Saved, but some input was too long for the draft to keep: say which.
          const answer = await response.json().catch(() => ({}));
          saveState(answer.message ? "unsaved" : "saved");
          if (answer.message && saveIndicator) saveIndicator.textContent = answer.message;
        } else if (response.ok) saveState("saved");
        else retryLater(response.status);
        return response.ok;
      }).catch(() => { retryLater(0); return false; });
    };
    const save = (keepalive) => {
      if (!dirty) return Promise.resolve();
      dirty = false;
      sequence.value = Number(sequence.value) + 1;
      const data = new FormData(stepForm);
      for (const [key, value] of Array.from(data.entries())) {
        if (value instanceof File) data.delete(key);
      }
      data.set("nav", "autosave");
      data.set("page_rendered_at", Date.now());
      data.set("request_id", newId());
      if (keepalive) keepUnsent(data);
      return send(data, keepalive);
    };
    const restoreUnsent = () => {
      const unsent = takeUnsent();
      if (!unsent) return;
      const data = new FormData();
      for (const [name, value] of unsent.entries) data.append(name, value);
      const [savedAt, savedSequence] = (stepForm.dataset.savedOrder || "0-0").split("-").map(Number);
      const at = Number(data.get("page_rendered_at"));
      const newer = at > savedAt || (at === savedAt && Number(data.get("input_sequence")) > savedSequence);
      if (!newer) return;
      const FORM_ORDER = ["csrfmiddlewaretoken", "page_rendered_at", "input_sequence", "request_id", "nav"];
      for (const field of stepForm.elements) {
        if (!field.name || FORM_ORDER.includes(field.name) || field.type === "file" || field.type === "hidden") continue;
        const values = data.getAll(field.name);
        if (field.type === "checkbox" || field.type === "radio") field.checked = values.includes(field.value);
        else if (values.length) field.value = values[0];
      }
      data.set("csrfmiddlewaretoken", stepForm.elements.csrfmiddlewaretoken.value);
      send(data, false);
    };
    restoreUnsent();
    window.KioskAutosave = { flush: () => { clearTimeout(timer); return save(true); } };
    const changed = (event) => {
      if (event.target.type === "file") return;
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(() => save(false), 400);
    };
    stepForm.addEventListener("change", changed);
    stepForm.addEventListener("input", changed);
    stepForm.addEventListener("submit", () => {
      dirty = false;
      clearTimeout(timer);
      sequence.value = Number(sequence.value) + 1;
      stepForm.elements.page_rendered_at.value = Date.now();
    });
    stepForm.addEventListener("reset", () => { dirty = false; clearTimeout(timer); });
    window.addEventListener("pagehide", () => save(true));
    // Back to a page kept in memory: its order is older than what it saved as it left,
    // so its later saves would be ignored; show the draft as saved instead.
    window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") save(true);
    });
  } else {
    takeUnsent();
  }

  // A save sent with `keepalive` as the page goes (a reload, a closed tab) can reach the
  // server after the next page was rendered: that page shows the older values, and its
  // Next would save them over the newer ones. So the save is also kept in this tab's
  // sessionStorage until the next page is shown: when it is this form's page and the
  // save is newer than what the page was rendered with, its values are put back in the
  // form and sent again, with the same request id (one save for the server). Any other
  // page drops it, so nothing typed outlives the next page in the browser.
  function keepUnsent(data) {
    try {
      sessionStorage.setItem(UNSENT, JSON.stringify({
        path: location.pathname, entries: Array.from(data.entries()),
      }));
    } catch { /* storage full or disabled: the keepalive save still goes */ }
  }
  function takeUnsent() {
    let unsent = null;
    try {
      unsent = JSON.parse(sessionStorage.getItem(UNSENT));
      sessionStorage.removeItem(UNSENT);
    } catch { return null; }
    return unsent && unsent.path === location.pathname ? unsent : null;
  }

  // The customer's "English | Español": what was typed on the page is saved first (the
  // autosave, flushed), then the page comes back in the other language with nothing lost.
  const languageForm = document.querySelector("form[data-customer-language-form]");
  if (languageForm && window.KioskAutosave) {
    languageForm.addEventListener("submit", (event) => {
      if (languageForm.dataset.flushed) return;
      event.preventDefault();
      const chosen = event.submitter;
      // In a task of its own: with nothing to save the flush is done at once, while this
      // submit event is still being fired, and a form does not submit again from there.
      window.KioskAutosave.flush().finally(() => setTimeout(() => {
        languageForm.dataset.flushed = "1";
        languageForm.requestSubmit(chosen);
      }));
    });
  }

  // Every post carries an id made here: a post sent twice (a double tap, a retry after a
  // lost answer, a replay from the outbox) is one save for the server.
  function newId() {
    return window.KioskOutbox ? window.KioskOutbox.uuid() : "";
  }
  for (const form of document.querySelectorAll("form[method=post]")) {
    form.addEventListener("submit", () => {
      let field = form.querySelector("input[name=request_id]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "request_id";
        form.append(field);
      }
      field.value = newId();
    });
  }

  // Submit once: a second tap while the first is on its way does nothing.
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      const button = form.querySelector("[type=submit]");
      button.disabled = true;
      button.textContent = kioskText("submitting");
    });
  }

  // Where the keyboard starts: on the error summary when the page shows one, so that
  // the associate sees what to fix; else on the page's first field (the review: its
  // heading), not at the top of the page, Tabs away from the form. Focus the page
  // placed already (autofocus, or a Tab while it loaded) stays where it is.
  const summary = document.querySelector("[data-testid=error-summary]");
  if (summary) summary.focus();
  else if (!document.activeElement || document.activeElement === document.body) {
    const start = firstField() || document.querySelector("[data-page-start]");
    if (start) start.focus();
  }

  function firstField() {
    const fields = document.querySelector("[data-step-fields]");
    if (!fields) return null;
    for (const element of fields.querySelectorAll("input, select, textarea, button, summary")) {
      if (element.type === "hidden" || element.disabled || element.tabIndex < 0) continue;
      if (!element.getClientRects().length) continue;  // not shown, or in a closed panel
      if (element.type === "radio" && element.name) {
        // A group of choices is one stop: its chosen one, else its first.
        const chosen = fields.querySelector(`input[type=radio][name="${CSS.escape(element.name)}"]:checked`);
        return chosen || element;
      }
      return element;
    }
    return null;
  }
});
