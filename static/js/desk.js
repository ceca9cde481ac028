/* The front desk's small behaviours. Plain JS, no build step; the pages work
   without it, this only saves the clerk clicks. */
(function () {
  "use strict";

  // Dashboard: the filter box stays as typed; rows are filtered again after
  // every self-refresh of the live part.
  function applyFilter() {
    var box = document.getElementById("desk-filter");
    if (!box) return;
    var needle = box.value.trim().toLowerCase();
    document.querySelectorAll("[data-filter-row]").forEach(function (row) {
      row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "desk-filter") applyFilter();
  });
  document.body.addEventListener("htmx:afterSwap", applyFilter);

  // A poll answered by the sign-in page (the session ended while the screen
  // slept) loads that page whole instead of pasting it into the dashboard.
  // A poll answered 304 (nothing changed) keeps what is shown: the browser
  // usually hands htmx the kept copy as a 200, but htmx would paste a bare
  // 304's empty body.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 304) {
      event.detail.shouldSwap = false;
      return;
    }
    var url = event.detail.xhr && event.detail.xhr.responseURL;
    if (url && url.indexOf("/accounts/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.assign(url);
    }
  });

  // Register and invite: the room list is reloaded when the category or the
  // party size changes. The request carries the room chosen when it was sent;
  // one chosen while it was on its way is kept too, if the new list still
  // offers it (a room no longer allowed is dropped with the list).
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.tagName === "SELECT") target.dataset.keep = target.value;
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.tagName !== "SELECT" || target.dataset.keep === undefined) return;
    var keep = target.dataset.keep;
    delete target.dataset.keep;
    if (keep === "") return;
    for (var i = 0; i < target.options.length; i += 1) {
      if (target.options[i].value === keep) {
        target.value = keep;
        return;
      }
    }
  });

  // Register: choosing a returning visitor fills in their details and suggests
  // the host who received them last time (R2.4).
  function setValue(name, value) {
    var field = document.querySelector("#walk-in-form [name='" + name + "']");
    if (field && value !== undefined) field.value = value;
    return field;
  }
  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-returning]");
    if (!pick) return;
    event.preventDefault();
    var data = pick.dataset;
    setValue("returning_visitor", data.id);
    setValue("full_name", data.fullName);
    setValue("company", data.company);
    setValue("phone", data.phone);
    setValue("email", data.email);
    if (data.host) {
      var host = document.querySelector("#walk-in-form [name='host']");
      if (host && !host.querySelector("option[value='" + data.host + "']")) {
        host.add(new Option(data.hostLabel, data.host));
      }
      setValue("host", data.host);
    }
    var hint = document.getElementById("previous-host");
    if (hint) hint.textContent = data.hint || "";
    if (data.category) {
      var category = setValue("category", data.category);
      if (category) category.dispatchEvent(new Event("change", { bubbles: true }));
    }
    document.getElementById("returning-results").innerHTML = "";
  });

  // Printables: a button rather than an inline handler.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
