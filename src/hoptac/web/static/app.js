// Small progressive enhancements; the pages work without them. Loaded as a file (CSP).
document.addEventListener("input", function (event) {
  var box = event.target;
  if (!box.classList || !box.classList.contains("picker-filter")) return;
  var words = box.value.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d").split(/\s+/).filter(Boolean);
  var labels = box.parentElement.querySelectorAll(".picker-options label");
  labels.forEach(function (label) {
    var text = label.textContent.toLowerCase().normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
    var checked = label.querySelector("input").checked;
    label.hidden = !checked && !words.every(function (w) { return text.indexOf(w) >= 0; });
  });
});

// On a phone the menu is one row that scrolls sideways: show the current page's link.
document.addEventListener("DOMContentLoaded", function () {
  var nav = document.querySelector(".mainnav");
  var here = nav && nav.querySelector("[aria-current]");
  if (here && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = here.offsetLeft - (nav.clientWidth - here.offsetWidth) / 2;
  }
});
