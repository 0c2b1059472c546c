// On every page of the desk (templates/admin/base_site.html).
// Django's two-box selector (SelectFilter2.js, e.g. a user's groups) puts aria-label on a
// bare <span> icon, which has no role that may be named: the icon is given role="img".
// SelectFilter2 builds its boxes on "load"; this runs after every "load" listener.
window.addEventListener("load", () => {
  setTimeout(() => {
    for (const icon of document.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
  });
});
