// Questionnaire page: autosave every answer as it is given, and apply show_if.
// The server stays the authority: it validates each answer and hides the same
// questions when scoring. This script only makes the page responsive.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form) return;
  var statusEl = document.getElementById("save-status");
  var editable = form.dataset.editable === "true";
  var saved = JSON.parse(form.dataset.answers || "{}");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var versionsInput = document.getElementById("answer-versions");
  var versions = JSON.parse(versionsInput.value || "{}");
  var pending = {};
  var timer = null;
  var inflight = false;

  function questionEl(qid) { return document.getElementById("q-" + qid); }

  function valueOf(qid) {
    var el = questionEl(qid);
    if (!el) return saved.hasOwnProperty(qid) ? saved[qid] : null;
    var type = el.dataset.type;
    if (type === "multi") {
      return Array.prototype.map.call(el.querySelectorAll("input[type=checkbox]:checked"), function (i) { return i.value; });
    }
    if (type === "single" || type === "level" || type === "yesno") {
      var c = el.querySelector("input[type=radio]:checked");
      if (!c) return null;
      return type === "yesno" ? c.value === "true" : c.value;
    }
    var input = el.querySelector("input, textarea");
    if (!input || input.value.trim() === "") return null;
    if (type === "number") { var n = Number(input.value); return isNaN(n) ? undefined : n; }
    return input.value;
  }

  // Show a value saved elsewhere (a conflict): the inputs follow the server.
  function setValue(qid, v) {
    var el = questionEl(qid);
    if (!el) return;
    var type = el.dataset.type;
    if (type === "multi") {
      el.querySelectorAll("input[type=checkbox]").forEach(function (i) { i.checked = Array.isArray(v) && v.indexOf(i.value) >= 0; });
    } else if (type === "single" || type === "level" || type === "yesno") {
      el.querySelectorAll("input[type=radio]").forEach(function (i) { i.checked = v !== null && String(v) === i.value; });
    } else {
      var input = el.querySelector("input, textarea");
      if (input) input.value = v === null || v === undefined ? "" : v;
    }
  }

  function shown(qid) { var el = questionEl(qid); return !el || !el.hidden; }

  function present(qid) {
    var v = valueOf(qid);
    return shown(qid) && v !== null && v !== undefined;
  }

  // Mirrors scoring/visibility.py: a test on a hidden or unanswered question is false.
  function test(cond) {
    if (cond.all) return cond.all.every(test);
    if (cond.any) return cond.any.some(test);
    if (cond.not) return !test(cond.not);
    var q = cond.question;
    var has = present(q);
    if (cond.hasOwnProperty("answered")) return cond.answered ? has : !has;
    if (!has) return false;
    var v = valueOf(q);
    if (cond.hasOwnProperty("equals")) return v === cond.equals;
    if (cond.hasOwnProperty("not_equals")) return v !== cond.not_equals;
    if (cond.hasOwnProperty("in")) return cond["in"].indexOf(v) >= 0;
    if (cond.hasOwnProperty("includes")) return Array.isArray(v) && v.indexOf(cond.includes) >= 0;
    if (cond.hasOwnProperty("count_gte")) return Array.isArray(v) && v.length >= cond.count_gte;
    if (cond.hasOwnProperty("gt")) return v > cond.gt;
    if (cond.hasOwnProperty("gte")) return v >= cond.gte;
    if (cond.hasOwnProperty("lt")) return v < cond.lt;
    if (cond.hasOwnProperty("lte")) return v <= cond.lte;
    return false;
  }

  // Questions without show_if that the server no longer asks (the scoring method lets the firm
  // skip them) are hidden; show_if questions are decided here, by applyVisibility.
  function applyNotAsked(list) {
    var skip = {};
    list.forEach(function (q) { skip[q] = true; });
    form.querySelectorAll(".question:not([data-show-if])").forEach(function (el) {
      el.hidden = !!skip[el.dataset.qid];
    });
  }

  function applyVisibility() {
    form.querySelectorAll(".question[data-show-if]").forEach(function (el) {
      el.hidden = !test(JSON.parse(el.dataset.showIf));
    });
  }

  // A carried answer (from the last assessment) that was changed no longer waits for confirmation.
  function applyCarried(list) {
    var waiting = {};
    list.forEach(function (q) { waiting[q] = true; });
    form.querySelectorAll(".carried[data-carried]").forEach(function (el) {
      if (!waiting[el.dataset.carried]) el.hidden = true;
    });
    var summary = document.getElementById("carried-summary");
    if (summary && !form.querySelector(".carried[data-carried]:not([hidden])")) summary.hidden = true;
  }

  function setStatus(key, extra) {
    statusEl.textContent = statusEl.dataset[key] + (extra ? " " + extra : "");
    statusEl.dataset.state = key;
  }

  // Clear the errors of the questions just saved, then mark those the server rejected.
  function showErrors(batch, errors) {
    Object.keys(batch).concat(Object.keys(errors)).forEach(function (qid) {
      var el = questionEl(qid);
      if (!el) return;
      var p = el.querySelector(".error");
      var msg = errors[qid];
      p.textContent = msg || "";
      p.hidden = !msg;
      el.classList.toggle("has-error", !!msg);
    });
  }

  function save() {
    timer = null;
    if (inflight || Object.keys(pending).length === 0) return;
    var batch = pending;
    pending = {};
    inflight = true;
    setStatus("saving");
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      // The version of each answer this page last saw: a newer one saved elsewhere is not overwritten.
      body: JSON.stringify({answers: batch, base: Object.keys(batch).reduce(function (b, k) { b[k] = versions[k] || 0; return b; }, {})})
    }).then(function (resp) {
      return resp.json().then(function (body) { return {ok: resp.ok, status: resp.status, body: body}; });
    }).then(function (r) {
      inflight = false;
      if (r.body.progress) updateProgress(r.body.progress);
      if (r.body.versions) { versions = r.body.versions; versionsInput.value = JSON.stringify(versions); }
      if (r.body.not_asked) applyNotAsked(r.body.not_asked);
      if (r.body.unconfirmed) applyCarried(r.body.unconfirmed);
      var conflicts = r.body.conflicts || {};
      var messages = {};
      Object.keys(r.body.errors || {}).forEach(function (k) { messages[k] = r.body.errors[k]; });
      Object.keys(conflicts).forEach(function (k) {
        messages[k] = conflicts[k].message;
        saved[k] = conflicts[k].value;
        setValue(k, conflicts[k].value);
      });
      applyVisibility();
      showErrors(batch, messages);
      if (r.ok) {
        Object.keys(batch).forEach(function (k) { saved[k] = batch[k]; });
        setStatus("saved", new Date().toLocaleTimeString());
      } else if (r.status === 409 && r.body.conflicts) {
        (r.body.saved || []).forEach(function (k) { saved[k] = batch[k]; });
        setStatus("conflict");
      } else if (r.status === 400 && r.body.errors) {
        setStatus("invalid");
      } else {
        throw new Error("save failed: " + r.status);
      }
      if (Object.keys(pending).length) schedule(0);
    }).catch(function () {
      inflight = false;
      // Keep what did not reach the server; newer edits of the same question win.
      Object.keys(batch).forEach(function (k) { if (!(k in pending)) pending[k] = batch[k]; });
      setStatus("failed");
      schedule(3000);
    });
  }

  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, ms);
  }

  function updateProgress(p) {
    var bar = document.getElementById("progress-bar");
    if (bar) { bar.value = p.percent; bar.textContent = p.percent + "%"; }
    var text = document.getElementById("progress-text");
    if (text) text.textContent = text.textContent.replace(/\d+\s*\/\s*\d+/, p.answered + " / " + p.shown);
  }

  function onEdit(event) {
    var el = event.target.closest(".question");
    if (!el || !editable) return;
    var qid = el.dataset.qid;
    var v = valueOf(qid);
    if (v === undefined) return; // not a number yet; wait for a valid one
    pending[qid] = v;
    applyVisibility();
    var typing = event.type === "input" && (el.dataset.type === "text" || el.dataset.type === "number");
    schedule(typing ? 800 : 0);
  }

  form.addEventListener("change", onEdit);
  form.addEventListener("input", onEdit);
  // Leaving the page sends what is still pending (keepalive lets it finish).
  window.addEventListener("pagehide", save);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(); });
  applyVisibility();
})();
