// On every page of the desk (templates/admin/base_site.html). Both fixes run after every
// "load" listener, since Django's widgets build their markup on "load".
window.addEventListener("load", () => {
  setTimeout(() => {
    // Django's two-box selector (SelectFilter2.js, e.g. a user's groups) puts aria-label on
    // a bare <span> icon, which has no role that may be named: the icon is given role="img".
    for (const icon of document.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
    // A date field's "Today" link (DateTimeShortcuts.js) is named "Today (<date>)" by a
    // string Django's catalogs do not all translate yet, while its text is: the name must
    // hold the text a speech-input user says ("Hoy"), so it starts with it.
    for (const link of document.querySelectorAll(".datetimeshortcuts a[aria-label]")) {
      const text = link.textContent.trim();
      const label = link.getAttribute("aria-label");
      if (text && !label.startsWith(text)) {
        const date = label.match(/\(.*\)$/);
        link.setAttribute("aria-label", date ? `${text} ${date[0]}` : text);
      }
    }
  });
});
