// On a phone the navigation folds into a menu button. Without JavaScript the links simply stay visible.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  button.addEventListener("click", function () {
    var open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
});
// One staff menu group open at a time; a click elsewhere closes it (a plain <details> stays open).
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.nav-group[open]").forEach(function (group) {
    if (!group.contains(event.target)) group.removeAttribute("open");
  });
});
