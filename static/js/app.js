// Behaviour that would otherwise need inline scripts, which the CSP forbids.
document.addEventListener("change", function (event) {
  if (event.target.matches(".js-autosubmit")) {
    event.target.form.submit();
  }
});
