// Liaison console: live countdowns, and the hotline's ringing alerts over
// Server-Sent Events, which also bring the open-calls table and the
// dashboard's lists up to date. Everything else works without this script.
(function () {
  "use strict";
  var body = document.body;

  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
    if (d > 0) {
      return (body.dataset.tDhm || "%dd %dh %dm").replace("%d", d).replace("%d", h).replace("%d", m);
    }
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(h) + ":" + two(m) + ":" + two(sec);
  }

  function tick() {
    var now = Date.now();
    var els = document.querySelectorAll("time.countdown");
    for (var i = 0; i < els.length; i++) {
      var el = els[i], due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { continue; }
      var left = due - now;
      var tpl = left < 0 ? body.dataset.tOverdue : body.dataset.tLeft;
      el.textContent = (tpl || "%s").replace("%s", fmt(left));
      el.classList.toggle("overdue", left < 0);
    }
  }
  tick();
  setInterval(tick, 1000);

  var audio = null;
  function ring() {
    body.dataset.rang = String((parseInt(body.dataset.rang || "0", 10) || 0) + 1);
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var t = audio.currentTime;
      for (var i = 0; i < 3; i++) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = "square";
        o.frequency.value = i % 2 ? 660 : 880;
        g.gain.setValueAtTime(0.15, t + i * 0.4);
        g.gain.setValueAtTime(0, t + i * 0.4 + 0.3);
        o.connect(g); g.connect(audio.destination);
        o.start(t + i * 0.4); o.stop(t + i * 0.4 + 0.3);
      }
    } catch (e) { /* no audio device: the visible alert remains */ }
  }

  // refresh fetches the page's live parts (data-fragment names the URL of a
  // server-rendered fragment) again; a failed fetch, or a session that
  // ended, leaves them as they are.
  function refresh() {
    var parts = document.querySelectorAll("[data-fragment]");
    Array.prototype.forEach.call(parts, function (el) {
      fetch(el.dataset.fragment, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          el.innerHTML = html;
          tick();
        })
        .catch(function () { /* offline for a moment: the next event tries again */ });
    });
  }

  var baseTitle = document.title, seen = {};
  if (body.dataset.live && window.EventSource) {
    var es = new EventSource("/events");
    es.addEventListener("alerts", function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      var box = document.getElementById("alerts");
      if (!box) { return; }
      box.innerHTML = msg.html;
      box.classList.toggle("active", msg.ids.length > 0);
      var fresh = false;
      for (var i = 0; i < msg.ids.length; i++) {
        if (!seen[msg.ids[i]]) { seen[msg.ids[i]] = true; fresh = true; }
      }
      document.title = msg.ids.length ? "(" + msg.ids.length + ") " + baseTitle : baseTitle;
      if (fresh) {
        ring();
        var btn = box.querySelector("button.ack");
        if (btn && !document.activeElement.matches("input, textarea, select")) { btn.focus(); }
      }
      tick();
      refresh();
    });
  }
})();
