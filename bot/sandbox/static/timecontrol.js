// Sandbox time control: shows the bot's "now" and fast-forwards it, so scheduled posts,
// reminders and digests can be watched without waiting. Talks to /sandbox/clock.
(function () {
  "use strict";

  function label(iso) {
    const at = new Date(iso);
    return at.toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
      timeZone: "UTC",
    }) + " UTC";
  }

  async function load(widget) {
    const answer = await fetch("/sandbox/clock").then((r) => r.json());
    widget.hidden = !answer.control;
    widget.querySelector(".tc-now").textContent = "Bot time: " + label(answer.now);
    widget.title = answer.offset_seconds
      ? "Fast-forwarded by " + Math.round(answer.offset_seconds / 60) + " minutes"
      : "Real time";
  }

  async function move(widget, to, button) {
    button.disabled = true;
    try {
      const response = await fetch("/sandbox/clock", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ to }),
      });
      const answer = await response.json();
      if (!answer.ok) window.alert(answer.error || "could not move the clock");
    } finally {
      button.disabled = false;
      load(widget);
    }
  }

  function start() {
    const widget = document.getElementById("time-control");
    if (!widget) return;
    widget.querySelectorAll("button[data-to]").forEach((button) => {
      button.addEventListener("click", () => move(widget, button.dataset.to, button));
    });
    load(widget);
    setInterval(() => load(widget), 30000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
