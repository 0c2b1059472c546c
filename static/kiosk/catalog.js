// The store's catalog on the tablet. On every unlocked page, the tablet's copy of it is
// kept fresh in the background (IndexedDB; the catalog holds no customer's data). On the
// Item step, "Find the product": search as you type, a hardware scanner's code and Enter,
// or the camera (scanner.js); a tap on a result fills in the item, and the server takes
// the product's ids and picture from the variant. Offline, the copy answers the search.
(window.KioskOfflineFill || Promise.resolve()).then(function () {
  "use strict";

  const copyUrl = document.body.dataset.catalogCopyUrl;
  const COPY_MAX_AGE_MS = 10 * 60 * 1000;

  const copy = {
    async open() {
      if (!copyUrl || !window.idb || !window.indexedDB) return null;
      return window.idb.openDB("kiosk-catalog", 1, {
        upgrade(db) { db.createObjectStore("copies", { keyPath: "url" }); },
      });
    },
    async get() {
      try {
        const db = await copy.open();
        return db ? await db.get("copies", copyUrl) : null;
      } catch (error) { return null; }
    },
    // Fetched again when older than COPY_MAX_AGE_MS; 304 when the catalog is unchanged.
    async refresh() {
      const kept = await copy.get();
      if (!copyUrl || (kept && Date.now() - kept.fetchedAt < COPY_MAX_AGE_MS)) return kept;
      try {
        const headers = { "X-Kiosk-Automatic": "1" };
        if (kept) headers["If-None-Match"] = `"${kept.version}"`;
        const response = await fetch(copyUrl, { credentials: "same-origin", headers });
        const db = await copy.open();
        if (!db) return kept;
        if (response.status === 304 && kept) {
          kept.fetchedAt = Date.now();
          await db.put("copies", kept);
          return kept;
        }
        if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) return kept;
        const body = await response.json();
        const fresh = { url: copyUrl, version: body.version, entries: body.entries, fetchedAt: Date.now() };
        await db.put("copies", fresh);
        return fresh;
      } catch (error) {
        return kept;  // offline: the copy kept before
      }
    },
  };
  const refreshed = copy.refresh();

  const section = document.querySelector("[data-catalog]");
  if (!section) return;
  const form = section.closest("form");
  const input = section.querySelector("#catalog-query");
  const list = section.querySelector("#catalog-results");
  const status = section.querySelector("[data-catalog-status]");
  const picked = section.querySelector("[data-catalog-picked]");
  const pickedName = section.querySelector("[data-catalog-picked-name]");
  const variantField = form.querySelector("[data-catalog-variant]");
  const scanButton = section.querySelector("[data-catalog-scan]");
  const minChars = Number(section.dataset.minChars) || 2;
  const SERVER_TIMEOUT_MS = 4000;
  const TYPING_PAUSE_MS = 150;
  const RESULTS_MAX = 20;
  // Prices as the page's language writes them where the store is (es-US: 1,249.99), not
  // as the browser's language does.
  const price = new Intl.NumberFormat(section.dataset.locale || undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  let results = [];
  let active = -1;
  let searchSeq = 0;
  let timer = null;

  // The same rules as the server's search (kiosk/selectors/catalog.py), on the copy.
  function barcodeReadings(code) {
    const digits = code.replace(/[\s-]/g, "");
    if (!/^\d+$/.test(digits) || ![8, 12, 13, 14].includes(digits.length)) return [];
    const readings = [digits];
    if (digits.length === 8 && "01".includes(digits[0])) readings.push(upcEToUpcA(digits));
    return readings.map((reading) => reading.padStart(14, "0"));
  }
  function upcEToUpcA(code) {
    const [system, body, check] = [code[0], code.slice(1, 7), code[7]];
    const last = body[5];
    let middle;
    if ("012".includes(last)) middle = body.slice(0, 2) + last + "0000" + body.slice(2, 5);
    else if (last === "3") middle = body.slice(0, 3) + "00000" + body.slice(3, 5);
    else if (last === "4") middle = body.slice(0, 4) + "00000" + body[4];
    else middle = body.slice(0, 5) + "0000" + last;
    return system + middle + check;
  }
  function searchCopy(entries, query) {
    const folded = query.toLowerCase();
    const words = folded.split(" ").slice(0, 6);
    const barcodes = barcodeReadings(query);
    const found = [];
    for (const entry of entries) {
      const exact = entry.sku.toLowerCase() === folded || barcodes.includes(entry.barcode);
      if (!exact && !words.every((word) => entry.text.includes(word))) continue;
      const rank = exact ? 0 : entry.text.startsWith(words[0]) ? 1 : 2;
      found.push({ ...entry, exact, rank });
    }
    found.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name)
      || a.variant.localeCompare(b.variant) || a.id - b.id);
    return found.slice(0, RESULTS_MAX);
  }

  async function search(query) {
    if (navigator.onLine !== false) {
      const controller = new AbortController();
      const timeout = setTimeout(() => controller.abort(), SERVER_TIMEOUT_MS);
      try {
        const url = `${section.dataset.searchUrl}?q=${encodeURIComponent(query)}`;
        const response = await fetch(url, {
          credentials: "same-origin", signal: controller.signal, headers: { "X-Kiosk-Automatic": "1" },
        });
        if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
          return { results: (await response.json()).results, offline: false };
        }
      } catch (error) {
        // No answer: the copy answers instead.
      } finally {
        clearTimeout(timeout);
      }
    }
    const kept = await copy.get();
    return { results: kept ? searchCopy(kept.entries, query) : null, offline: true };
  }

  function label(entry) {
    return entry.variant ? `${entry.name} – ${entry.variant}` : entry.name;
  }

  function render(found, query, offline) {
    results = found || [];
    active = -1;
    list.replaceChildren();
    input.removeAttribute("aria-activedescendant");
    for (const [index, entry] of results.entries()) {
      const option = document.createElement("li");
      option.id = `catalog-option-${index}`;
      option.className = "list-group-item list-group-item-action catalog-option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.testid = "catalog-option";
      if (entry.image) {
        const image = document.createElement("img");
        image.src = entry.image;
        image.alt = "";
        image.loading = "lazy";
        image.className = "catalog-image";
        image.addEventListener("error", () => image.remove());
        option.append(image);
      }
      const text = document.createElement("span");
      text.className = "catalog-text";
      const name = document.createElement("strong");
      name.textContent = label(entry);
      const details = document.createElement("span");
      details.className = "catalog-details";
      details.textContent = [entry.sku && kioskText("sku", { sku: entry.sku }), entry.price !== null && entry.price !== undefined && price.format(Number(entry.price))]
        .filter(Boolean).join(" · ");
      text.append(name, details);
      option.append(text);
      option.addEventListener("click", () => pick(entry));
      list.append(option);
    }
    const open = results.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (found === null) status.textContent = kioskText("catalog_no_copy");
    else if (!open) status.textContent = kioskText("catalog_nothing", { query });
    else status.textContent = kioskPlural(results.length, offline ? "catalog_found_offline" : "catalog_found");
  }

  function clearResults() {
    searchSeq += 1;
    results = [];
    list.replaceChildren();
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  // `scanned`: a code from a scanner or the camera; one exact match is picked at once.
  async function run(query, { scanned = false } = {}) {
    query = query.split(/\s+/).filter(Boolean).join(" ");
    if (query.length < minChars) {
      clearResults();
      status.textContent = "";
      return;
    }
    const seq = ++searchSeq;
    const { results: found, offline } = await search(query);
    if (seq !== searchSeq) return;  // typed on meanwhile
    const exact = (found || []).filter((entry) => entry.exact);
    if (scanned && exact.length === 1) {
      pick(exact[0]);
      return;
    }
    render(found, query, offline);
  }

  function setValue(field, value) {
    if (!field) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // The product's warranty period, on the same page: a period the list has, else "Other…".
  function pickWarrantyPeriod(period) {
    const choice = form.elements.warranty_period_choice;
    if (!choice) return;
    const listed = Array.from(choice.options).some((option) => option.value === period);
    choice.value = listed ? period : "other";
    if (!listed) setValue(form.elements.warranty_period_custom, period);
    choice.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function pick(entry) {
    variantField.value = String(entry.id);
    setValue(form.elements.item_name, label(entry));
    setValue(form.elements.item_sku, entry.sku || "");
    if (entry.price !== null && entry.price !== undefined) setValue(form.elements.item_price, Number(entry.price).toFixed(2));
    if (entry.warranty) pickWarrantyPeriod(entry.warranty);
    variantField.dispatchEvent(new Event("change", { bubbles: true }));
    pickedName.textContent = label(entry);
    picked.hidden = false;
    input.value = "";
    input.classList.remove("is-invalid");
    clearResults();
    status.textContent = kioskText("catalog_filled", { product: label(entry) });
    const next = form.elements.item_details;
    if (next && !next.value) next.focus();
  }

  function unpick() {
    variantField.value = "";
    variantField.dispatchEvent(new Event("change", { bubbles: true }));
    picked.hidden = true;
    status.textContent = kioskText("catalog_not_picked");
    input.focus();
  }

  function move(step) {
    if (!results.length) return;
    active = (active + step + results.length) % results.length;
    for (const [index, option] of Array.from(list.children).entries()) {
      option.setAttribute("aria-selected", String(index === active));
      option.classList.toggle("active", index === active);
    }
    input.setAttribute("aria-activedescendant", `catalog-option-${active}`);
    list.children[active].scrollIntoView({ block: "nearest" });
  }

  // Typing on this field is a search, not the associate's input: nothing is saved.
  for (const type of ["input", "change"]) input.addEventListener(type, (event) => event.stopPropagation());
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), TYPING_PAUSE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") { clearResults(); }
    else if (event.key === "Enter") {
      // A scanner types the code and Enter: search at once, and never submit the step.
      event.preventDefault();
      clearTimeout(timer);
      if (active >= 0 && results[active]) pick(results[active]);
      else run(input.value, { scanned: true });
    }
  });
  section.querySelector("[data-catalog-clear]").addEventListener("click", unpick);

  // The camera (scanner.js, loaded deferred): its dialog says why when it cannot scan.
  scanButton.addEventListener("click", () => {
    if (!window.KioskScanner) return;
    window.KioskScanner.scan({
      onCode: (code) => {
        input.value = code;
        run(code, { scanned: true });
      },
      onClose: () => input.focus(),
    });
  });

  // A variant kept on this tablet (offline) has no name on the page yet: the copy has it.
  refreshed.then((kept) => {
    if (!kept || !variantField.value || pickedName.textContent.trim()) return;
    const entry = kept.entries.find((e) => String(e.id) === variantField.value);
    if (entry) {
      pickedName.textContent = label(entry);
      picked.hidden = false;
    }
  });
});
