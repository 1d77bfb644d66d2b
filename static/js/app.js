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

// The leadership ranking on a phone: a numbered list built from the ranking
// table's rows (rendered once, by the server), each entry opening the row's
// figures under the table's column headings. Without scripts the table
// itself shows, scrolling in its frame.
function buildPhoneRanking() {
  const phone = document.getElementById("branch-ranking-phone");
  const list = document.getElementById("branch-ranking-list");
  const table = document.getElementById("branch-ranking");
  if (!phone || !list || !table || list.dataset.built) return;
  const heads = Array.from(table.querySelectorAll("thead th"));
  const labels = heads.map(function (th) { return th.textContent.trim(); });
  const order = list.dataset.order;
  const shown = order === "name" ? -1 : heads.findIndex(function (th) { return th.dataset.order === order; });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    const cells = Array.from(row.children);
    const link = cells[0].querySelector("a");
    const item = document.createElement("li");
    item.className = "border rounded mb-2";
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.className = "d-flex align-items-center gap-2 p-2 ranking-summary";
    const rank = document.createElement("span");
    rank.className = "badge rounded-pill text-bg-light border";
    rank.textContent = row.dataset.rank;
    const name = document.createElement("span");
    name.className = "flex-grow-1 fw-semibold";
    name.textContent = link ? link.textContent : cells[0].textContent.trim();
    const figure = document.createElement("span");
    figure.className = "text-nowrap";
    figure.textContent = shown > 0 ? cells[shown].textContent.trim() : "";
    summary.append(rank, name, figure);
    const figures = document.createElement("dl");
    figures.className = "ranking-figures px-2 pb-2 mb-0";
    cells.slice(1).forEach(function (cell, index) {
      const term = document.createElement("dt");
      term.textContent = labels[index + 1];
      const value = document.createElement("dd");
      value.className = cell.className.replace("text-end", "").trim();
      value.append.apply(value, Array.from(cell.childNodes).map(function (node) { return node.cloneNode(true); }));
      figures.append(term, value);
    });
    details.append(summary, figures);
    if (link) {
      const open = document.createElement("div");
      open.className = "px-2 pb-2";
      const button = document.createElement("a");
      button.className = "btn btn-outline-secondary w-100 ranking-open";
      button.href = link.getAttribute("href");
      button.textContent = "organisation" in row.dataset ? list.dataset.openOrganisation : list.dataset.openBranch;
      open.append(button);
      details.append(open);
    }
    item.append(details);
    list.append(item);
  });
  list.dataset.built = "1";
  phone.classList.replace("d-none", "d-sm-none");
  document.getElementById("branch-ranking-frame").classList.add("d-none", "d-sm-block");
}

document.addEventListener("DOMContentLoaded", buildPhoneRanking);
