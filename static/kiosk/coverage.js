// Warranty step: whether the claim is covered follows the date and period as they change.
// The server computes it (months and years as the calendar has them, in the store's time zone).
(function () {
  "use strict";

  const shown = document.querySelector("[data-coverage]");
  const date = document.getElementById("id_date_of_purchase");
  const choice = document.getElementById("id_warranty_period_choice");
  const custom = document.getElementById("id_warranty_period_custom");
  if (!shown || !date || !choice) return;

  let latest = 0;
  const refresh = async () => {
    const period = choice.value === "other" ? (custom ? custom.value : "") : choice.value;
    const query = new URLSearchParams({ date_of_purchase: date.value, warranty_period: period });
    const asked = ++latest;
    try {
      const response = await fetch(shown.dataset.coverageUrl + "?" + query, {
        credentials: "same-origin",
        headers: { "X-Kiosk-Automatic": "1" },  // not a person's doing: see tablet.js
      });
      if (asked !== latest) return;
      if (response.status === 400) {
        // A period whose end cannot be worked out: say why; Next refuses it too.
        const { error } = await response.json();
        shown.textContent = error;
        shown.hidden = false;
        shown.classList.remove("expired");
        shown.classList.add("refused");
        return;
      }
      if (!response.ok) return;
      const { label, expired } = await response.json();
      shown.textContent = label;
      shown.hidden = !label;
      shown.classList.remove("refused");
      // The override reason's field follows (kiosk.css shows it only after an expired coverage).
      shown.classList.toggle("expired", expired);
    } catch {
      // Offline for a moment: the step says it when Next is pressed.
    }
  };
  for (const input of [date, choice, custom]) {
    if (input) input.addEventListener("change", refresh);
  }
})();
