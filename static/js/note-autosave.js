// Keep what a member types in the browser until the server has it, so a
// dropped connection or a failed submit loses nothing.
(function () {
  "use strict";
  var PREFIX = "party-training:";
  var store;
  try { store = window.localStorage; } catch (e) { return; }

  document.querySelectorAll("[data-autosave-clear]").forEach(function (el) {
    (el.dataset.autosaveClear || "").split(" ").forEach(function (key) {
      if (key) { store.removeItem(PREFIX + key); }
    });
  });

  var form = document.getElementById("note-form");
  if (!form) { return; }
  var key = PREFIX + form.dataset.autosaveKey;
  var fields = ["title", "body", "hours", "study_date"];
  var status = document.getElementById("autosave-status");

  function values() {
    var data = {};
    fields.forEach(function (name) {
      if (form.elements[name]) { data[name] = form.elements[name].value; }
    });
    return data;
  }

  var saved = null;
  try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
  var serverUpdated = parseInt(form.dataset.serverUpdated || "0", 10) * 1000;
  var current = values();
  var differs = saved && fields.some(function (name) {
    return saved.values[name] !== undefined && saved.values[name] !== current[name];
  });
  if (saved && differs && saved.at > serverUpdated && !form.querySelector(".is-invalid")) {
    fields.forEach(function (name) {
      if (form.elements[name] && saved.values[name] !== undefined) { form.elements[name].value = saved.values[name]; }
    });
    var notice = document.getElementById("autosave-restored");
    if (notice) {
      notice.classList.remove("d-none");
      document.getElementById("autosave-discard").addEventListener("click", function () {
        store.removeItem(key);
        window.location.reload();
      });
    }
  }

  var timer = null;
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      store.setItem(key, JSON.stringify({ at: Date.now(), values: values() }));
      if (status) { status.textContent = status.dataset.savedText || ""; }
    }, 400);
  });
}());
