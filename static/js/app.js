// Behaviour that would otherwise need inline scripts, which the CSP forbids.
document.addEventListener("change", function (event) {
  if (event.target.matches(".js-autosubmit")) {
    event.target.form.submit();
  }
});

// Irreversible actions ask first and say what will happen: <form data-confirm="…">.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A table wider than its frame scrolls inside it; the frame then shows a
// cue in the page's language (the text comes from base.html's
// data-scroll-cue). No element is added, so sibling selectors still hold.
function markScrollingTables() {
  const cue = document.body.dataset.scrollCue || "";
  document.querySelectorAll(".table-frame, .table-responsive").forEach(function (frame) {
    frame.dataset.cue = cue;
    frame.classList.toggle("is-overflowing", frame.scrollWidth > frame.clientWidth + 1);
  });
}
window.addEventListener("resize", markScrollingTables);

// .table-stack turns rows into labelled cards on a phone: each cell without
// its own data-label takes its column's header, the first cell is the title.
function labelStackedTables() {
  document.querySelectorAll("table.table-stack").forEach(function (table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map(function (th) {
      return th.textContent.trim();
    });
    // data-stack-title: the index of the title column, or "none".
    const title = table.dataset.stackTitle === "none" ? -1 : parseInt(table.dataset.stackTitle || "0", 10);
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.from(row.children).forEach(function (cell, index) {
        if (cell.colSpan > 1 || cell.hasAttribute("data-label") || cell.matches(".stack-title, .stack-full")) return;
        if (index === title) cell.classList.add("stack-title");
        else if (heads[index]) cell.dataset.label = heads[index];
      });
    });
  });
}

// Long pages of sections (the checkup report) open folded on a phone: the
// headings list what is there, a tap opens one.
function foldSections() {
  if (!window.matchMedia("(max-width: 575.98px)").matches) return;
  document.querySelectorAll(".fold-on-phone").forEach(function (section, index) {
    const heading = section.querySelector("h2");
    if (!heading || heading.hasAttribute("role")) return;
    section.classList.add("is-folded");
    heading.setAttribute("role", "button");
    heading.setAttribute("tabindex", "0");
    heading.setAttribute("aria-expanded", "false");
    heading.id = heading.id || "fold-" + index;
    const toggle = function () {
      const folded = section.classList.toggle("is-folded");
      heading.setAttribute("aria-expanded", folded ? "false" : "true");
      markScrollingTables();
    };
    heading.addEventListener("click", toggle);
    heading.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        toggle();
      }
    });
  });
}

function onPageReady() {
  labelStackedTables();
  foldSections();
  markScrollingTables();
}
document.addEventListener("DOMContentLoaded", onPageReady);
document.addEventListener("htmx:afterSettle", onPageReady);
