// The dashboard's only script, served as /app.js (no build step, nothing external): it follows
// /api/events (server-sent events) and, when the directory changed, fetches the page's sections
// again (/api/view) and swaps in the ones whose HTML changed. No page reload.
export const DASHBOARD_SCRIPT = `"use strict";
(() => {
  const body = document.body;
  const live = document.getElementById("live");
  const container = document.getElementById("sections");
  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const r = await fetch("/api/view" + location.search, { cache: "no-store" });
      if (!r.ok) { live.textContent = "live: the server answered " + r.status; return; }
      const view = await r.json();
      body.dataset.version = view.version;
      const keep = new Set();
      for (const s of view.sections) {
        keep.add(s.id);
        let el = document.getElementById(s.id);
        if (!el) { el = document.createElement("section"); el.id = s.id; }
        if (el.dataset.hash !== s.hash) { el.innerHTML = s.html; el.dataset.hash = s.hash; }
        container.appendChild(el);
      }
      for (const el of Array.from(container.children)) if (!keep.has(el.id)) el.remove();
      live.textContent = "live: updated " + new Date().toLocaleTimeString();
    } catch (err) {
      live.textContent = "live: " + err;
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  const events = new EventSource("/api/events");
  events.onmessage = (e) => { if (e.data !== body.dataset.version) refresh(); };
  events.onerror = () => { live.textContent = "live: connection lost, retrying"; };
})();
`;
