// Batch page: poll the batch's status until it is done and show progress.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box) return;
  function render(s) {
    var bar = document.getElementById("batch-progress");
    bar.max = s.total || 1;
    bar.value = s.done;
    document.getElementById("batch-count").textContent = s.done + " / " + s.total;
    document.getElementById("batch-state").textContent = box.dataset[s.status + "Text"] || s.status;
    var list = document.getElementById("batch-failure-list");
    list.textContent = "";
    (s.failures || []).forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f.company + ((document.documentElement.lang || "").indexOf("zh") === 0 ? "：" : ": ") + f.reason;  // text, never HTML
      list.appendChild(li);
    });
    document.getElementById("batch-failures").hidden = !(s.failures && s.failures.length);
    document.getElementById("batch-download").hidden = s.status !== "done";
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) { render(s); if (s.status !== "done" && s.status !== "failed") setTimeout(poll, 1500); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
