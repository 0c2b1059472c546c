// A claim's page shown offline from its blank shell (service-worker.js): what waits on
// this tablet for the claim is put back in it before kiosk.js and photos.js start
// (they wait for window.KioskOfflineFill). Only what waits here is shown: what the
// server already has is not kept on the tablet, so a step saved there says so instead.
(function () {
  "use strict";

  const outbox = window.KioskOutbox;
  const match = /^\/claims\/(R-[0-9A-Z]{8})\//.exec(location.pathname);
  if (!document.body.hasAttribute("data-offline-shell") || !outbox || !match) return;
  const reference = match[1];
  const LANGUAGE_FIELD = "customer_language";

  // The customer's language as this tablet knows it: the newest of what it keeps for the
  // claim (a save from an online page carries the claim's language; a tap on "English |
  // Español" offline is kept as a "language" request), else what the claim's last online
  // page said (kiosk.js), else null (then the store's, which the shell carries).
  async function keptLanguage() {
    let language = null;
    try {
      language = sessionStorage.getItem(`kiosk-language:${reference}`);
    } catch (error) {
      language = null;
    }
    const requests = (await outbox.requestsFor(reference))
      .filter((request) => request.kind === "save" || request.kind === "language")
      .sort((a, b) => a.seq - b.seq);
    for (const request of requests) {
      const { fields } = await outbox.contents(request);
      const given = fields.find(([name]) => name === LANGUAGE_FIELD);
      if (given && given[1]) language = given[1];
    }
    return language;
  }

  function setValues(form, fields) {
    const values = new Map();
    for (const [name, value] of fields) {
      if (!values.has(name)) values.set(name, []);
      values.get(name).push(value);
    }
    for (const element of form.elements) {
      if (!element.name || !values.has(element.name) || element.type === "file") continue;
      if (["csrfmiddlewaretoken", "page_rendered_at", "input_sequence", "nav", "goto"].includes(element.name)) continue;
      const given = values.get(element.name);
      if (element.type === "checkbox" || element.type === "radio") element.checked = given.includes(element.value);
      else if (element.tagName === "SELECT" && element.multiple) {
        for (const option of element.options) option.selected = given.includes(option.value);
      } else {
        if (element.tagName === "SELECT" && !Array.from(element.options).some((o) => o.value === given[0])) {
          element.add(new Option(given[0], given[0]));  // a state of another country
        }
        element.value = given[given.length - 1];
      }
    }
  }

  // A step the server has and this tablet does not: shown blank and read-only, unless the
  // associate chooses to fill it in again (then what they type replaces it).
  function markOnServer(form) {
    const fieldset = form.querySelector("[data-step-fields]");
    fieldset.disabled = true;
    const unloaded = document.createElement("input");
    unloaded.type = "hidden";
    unloaded.name = "offline_unloaded";
    unloaded.value = "1";
    form.append(unloaded);
    const notice = document.createElement("div");
    notice.className = "alert alert-info";
    notice.dataset.testid = "saved-on-server";
    notice.setAttribute("role", "status");
    const said = document.createElement("p");
    said.className = "mb-2";
    said.textContent = kioskText("saved_on_server_step");
    notice.append(said);
    const again = document.createElement("button");
    again.type = "button";
    again.className = "btn btn-outline-primary btn-lg";
    again.textContent = kioskText("fill_again");
    again.addEventListener("click", () => {
      fieldset.disabled = false;
      unloaded.remove();
      notice.remove();
    });
    notice.append(again);
    fieldset.before(notice);
  }

  // The photos waiting for this claim, for photos.js to show with their own previews.
  async function keptPhotos() {
    const photos = [];
    for (const request of await outbox.requestsFor(reference)) {
      if (request.kind !== "photo" || request.state === "refused") continue;
      const { fields, file } = await outbox.contents(request);
      const given = Object.fromEntries(fields);
      if (file) photos.push({ kind: given.photo_kind, photoId: given.photo_id, file });
    }
    window.KioskKeptPhotos = photos;
  }

  async function fillStep(form) {
    const step = form.dataset.step;
    form.elements.page_rendered_at.value = Date.now();
    const fields = await outbox.waitingFields(reference, step);
    const madeHere = (await outbox.requestsFor(reference)).some((r) => r.kind === "start");
    if (fields) setValues(form, fields);
    else if (!madeHere) markOnServer(form);
    else if (step === "address") {
      // As the server does: the shipping address starts with the customer's name.
      const customer = (await outbox.waitingFields(reference, "customer")) || [];
      setValues(form, customer.filter(([name]) => name === "ship_first_name" || name === "ship_last_name"));
    }
    if (form.dataset.uploadUrl) await keptPhotos();
    // What is saved from here carries the customer's language on, for the review.
    const language = await keptLanguage();
    if (language && !form.elements[LANGUAGE_FIELD]) {
      form.append(Object.assign(document.createElement("input"), {
        type: "hidden", name: LANGUAGE_FIELD, value: language,
      }));
    }
  }

  // The review's customer part in the claim's language (its words come in every language
  // with the shell, #customer-words), marked with `lang`; the toggle shows which.
  async function customerPart(summary) {
    const all = JSON.parse(document.getElementById("customer-words").textContent);
    let language = await keptLanguage();
    if (!language || !(language in all)) language = summary.dataset.customerLanguage;
    const words = all[language];
    summary.lang = words.lang;
    summary.dataset.customerLanguage = language;
    const template = document.querySelector(`template[data-customer-signature="${language}"]`);
    const slot = document.querySelector("[data-customer-signature-slot]");
    if (template && slot) slot.replaceWith(template.content.cloneNode(true));
    for (const unused of document.querySelectorAll("template[data-customer-signature]")) unused.remove();
    for (const button of document.querySelectorAll("[data-testid=customer-language] button[name=customer_language]")) {
      const current = button.value === language;
      button.setAttribute("aria-pressed", String(current));
      button.classList.toggle("btn-primary", current);
      button.classList.toggle("btn-outline-primary", !current);
    }
    return words;
  }

  // A date or a price as the online review writes it (kiosk.dates.long_date, display.money),
  // in the customer's language; anything else, or what does not parse, as typed.
  function spelledOut(value, kind, lang, money) {
    if (kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const day = new Date(`${value}T00:00:00Z`);
      if (!Number.isNaN(day.getTime())) {
        return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" }).format(day);
      }
    }
    if (kind === "money" && /^\d+(\.\d{1,2})?$/.test(value.trim())) {
      const amount = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      return money.replace("%(amount)s", amount.format(Number(value)));
    }
    return value;
  }

  // The review offline: each step's waiting input under its fields' labels.
  async function fillReview(summary) {
    const { labels, titles, words } = await customerPart(summary);
    // The associate's own words in the customer's part (Edit, notes) say which language they are in.
    const associateLang = document.documentElement.lang;
    const madeHere = (await outbox.requestsFor(reference)).some((r) => r.kind === "start");
    const cards = {};
    for (const [step, fieldLabels] of Object.entries(labels)) {
      const fields = await outbox.waitingFields(reference, step);
      const card = document.createElement("div");
      card.className = "col-md-6";
      card.innerHTML = `<div class="card h-100"><div class="card-body"><div class="d-flex justify-content-between align-items-center"><h2 class="h6 mb-0"></h2><a class="btn btn-outline-secondary review-edit"></a></div><dl class="review-list"></dl></div></div>`;
      card.querySelector(".review-edit").textContent = kioskText("edit");
      card.querySelector(".review-edit").lang = associateLang;
      card.querySelector("h2").textContent = titles[step] || step;
      card.querySelector("a").href = `/claims/${reference}/steps/${step}/`;
      const list = card.querySelector("dl");
      if (!fields) {
        const note = document.createElement("dd");
        note.textContent = kioskText(madeHere ? "not_filled_yet" : "saved_on_server");
        note.lang = associateLang;
        list.append(note);
      }
      for (const [name, value] of fields || []) {
        if (!(name in fieldLabels) || value === "") continue;
        const [label, choices, kind] = fieldLabels[name];
        const term = document.createElement("dt");
        term.textContent = label;
        const detail = document.createElement("dd");
        detail.textContent = choices[value] || spelledOut(value, kind, summary.lang, words.money);
        list.append(term, detail);
      }
      summary.append(card);
      cards[step] = list;
    }
    // The photos waiting for the claim, under the item's page (receipts too), so that the
    // customer sees them.
    await keptPhotos();
    for (const photo of window.KioskKeptPhotos) {
      const list = cards.item;
      if (!list) continue;
      const term = document.createElement("dt");
      term.textContent = words[photo.kind === "receipt" ? "receipt_photo" : "item_photo"];
      const detail = document.createElement("dd");
      const image = document.createElement("img");
      image.src = URL.createObjectURL(photo.file);
      image.alt = words.kept_photo.replace("%(photo)s", term.textContent);
      image.className = "review-kept-photo";
      detail.append(image);
      list.append(term, detail);
    }
    const signature = await outbox.waitingFields(reference, "signature");
    const data = signature && signature.find(([name]) => name === "signature_data");
    if (data && data[1]) document.getElementById("id_signature_data").value = data[1];
    const typed = signature && signature.find(([name]) => name === "signature_typed_name");
    const typedField = document.getElementById("id_signature_typed_name");
    if (typed && typed[1] && typedField) {
      typedField.value = typed[1];
      typedField.closest("details").open = true;
    }
  }

  async function fill() {
    try {
      const summary = document.querySelector("[data-offline-summary]");
      const form = document.querySelector("form.claim-form[data-step]:not([data-step=review])");
      if (summary) await fillReview(summary);
      else if (form) await fillStep(form);
    } catch (error) {
      // Nothing could be read back: the page stays blank, and says so; the review keeps a
      // signature block (the store's language) so that the claim can still be signed.
      const slot = document.querySelector("[data-customer-signature-slot]");
      const summary = document.querySelector("[data-offline-summary]");
      const template = summary && document.querySelector(
        `template[data-customer-signature="${summary.dataset.customerLanguage}"]`);
      if (slot && template) slot.replaceWith(template.content.cloneNode(true));
      document.querySelector("main").prepend(Object.assign(document.createElement("div"), {
        className: "alert alert-danger", textContent: kioskText("kept_unreadable"),
      }));
    }
  }

  window.KioskOfflineFill = new Promise((resolve) => {
    const go = () => fill().finally(resolve);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go);
    else go();
  });
})();
