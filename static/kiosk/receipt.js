// The customer's copy: Print opens the browser's print dialog (receipt printer or A4/Letter).
(function () {
  "use strict";
  const button = document.querySelector("[data-print]");
  if (button) button.addEventListener("click", () => window.print());
})();
