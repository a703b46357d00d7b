// floorgate put wall screen: one wall's slots, large enough to read across
// the wall's aisle. It reads GET /api/v1/walls/{id} and reloads it on each
// journal event of the status page's stream (/api/v1/events), and every
// few seconds besides, so a dropped stream never leaves it stale.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const id = decodeURIComponent(location.pathname.replace(/^\/wall\//, "").replace(/\/$/, ""));
  const REDRAW_MS = 5000;
  const state = { view: null, loads: 0, events: null, timer: 0, csrf: "" };

  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!r.ok) {
      const err = new Error((data && data.error) || r.statusText);
      err.status = r.status;
      throw err;
    }
    return data;
  }

  // ---- sign in: the screen needs a signed-in admin or supervisor.
  function showSignIn() {
    if (state.events) { state.events.close(); state.events = null; }
    clearInterval(state.timer);
    state.view = null;
    $("#slots").textContent = "";
    $("#wall").hidden = true;
    $("#signin-wall").textContent = id;
    $("#signin").hidden = false;
    $("#signin-badge").focus();
  }
  $("#signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("#signin-error").textContent = "";
    try {
      await api("POST", "/api/v1/session", { badge: $("#signin-badge").value.trim(), pin: $("#signin-pin").value });
      $("#signin-pin").value = "";
      start();
    } catch (err) {
      $("#signin-error").textContent = err.message;
    }
  });

  function start() {
    $("#signin").hidden = true;
    $("#wall").hidden = false;
    connectLive();
    clearInterval(state.timer);
    state.timer = setInterval(load, REDRAW_MS);
    load();
  }

  // ---- live updates
  function connectLive() {
    if (state.events) state.events.close();
    const es = new EventSource("/api/v1/events");
    state.events = es;
    es.onopen = () => $("#live").classList.add("on");
    es.onerror = () => $("#live").classList.remove("on");
    es.addEventListener("journal", () => soon());
  }
  let soonTimer = 0;
  function soon() {
    clearTimeout(soonTimer);
    soonTimer = setTimeout(load, 60);
  }

  let loading = false, again = false;
  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const v = await api("GET", "/api/v1/walls/" + encodeURIComponent(id));
      state.view = v;
      state.loads++;
      $("#problem").hidden = true;
      render(v);
    } catch (err) {
      if (err.status === 401 || err.status === 403) { showSignIn(); return; }
      const p = $("#problem");
      p.textContent = err.status === 404
        ? `No put wall ${id} here · 没有播种墙 ${id}`
        : `Cannot reach the gateway: ${err.message} · 无法连接网关，稍后重试`;
      p.hidden = false;
    } finally {
      loading = false;
      if (again) { again = false; load(); }
    }
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // columns lays the slots out in a grid whose cells are about as tall as
  // wide on a 16:9 screen, so the numbers are as large as the wall allows.
  function columns(n) {
    const rows = Math.max(1, Math.round(Math.sqrt(n / 1.9)));
    return Math.max(1, Math.ceil(n / rows));
  }

  function render(v) {
    $("#wall-id").textContent = v.wall;
    $("#wall-station").textContent = v.station ? `station · 工位 ${v.station}` : "";
    document.title = `${v.wall} — put wall · 播种墙`;
    const sorting = !!v.batch;
    $("#batch-box").hidden = !sorting;
    $("#idle-box").hidden = sorting;
    $("#wall-batch").textContent = v.batch || "";
    $("#wall-sorter").textContent = sorting ? `sorter · 分拣员 ${v.sorter || "—"}${v.device ? " (" + v.device + ")" : ""}` : "";
    const slots = v.slots || [];
    $("#wall-ready").textContent = String(slots.filter((s) => s.ready).length);
    const grid = $("#slots");
    const cols = columns(slots.length);
    // The CSSOM is allowed by the page's CSP; a style attribute is not.
    grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    grid.style.gridTemplateRows = `repeat(${Math.ceil(slots.length / cols) || 1}, minmax(0, 1fr))`;
    grid.textContent = "";
    for (const s of slots) grid.appendChild(slotCell(s, v.next_slot === s.slot));
  }

  function slotCell(s, next) {
    const st = s.ready ? "ready" : s.order ? "sorting" : "empty";
    const c = el("div", `slot ${st}${next ? " next" : ""}`);
    c.dataset.slot = String(s.slot);
    c.dataset.state = st;
    if (next) c.dataset.next = "true";
    c.appendChild(el("div", "num", String(s.slot)));
    const info = el("div", "info");
    if (st === "empty") {
      info.appendChild(el("div", "state", "empty · 空"));
    } else {
      info.appendChild(el("div", "order mono", s.order));
      if (st === "ready") {
        info.appendChild(el("div", "state", "可打包 READY"));
        info.appendChild(el("div", "state-sub", "ready to pack"));
        if (s.short) info.appendChild(el("div", "short", `${s.short} short · 缺 ${s.short}`));
      } else {
        info.appendChild(el("div", "progress", `${s.sorted}/${s.units}`));
        const bar = el("div", "bar");
        const fill = el("div", "fill");
        fill.style.width = `${s.units ? Math.round(100 * s.sorted / s.units) : 0}%`;
        bar.appendChild(fill);
        info.appendChild(bar);
      }
    }
    if (next) info.appendChild(el("div", "here", "PUT HERE · 放这里"));
    c.appendChild(info);
    return c;
  }

  setInterval(() => { $("#clock").textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }, 1000);

  // For tests and support: what the screen shows.
  window.fgWall = () => ({ wall: id, loads: state.loads, live: !!state.events && state.events.readyState === 1, view: state.view });

  start();
})();
