// floorgate status page. Plain JavaScript: fetch the JSON API, keep it live
// with Server-Sent Events (/api/v1/events), draw small SVG charts.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { me: null, csrf: "", status: null, view: "overview", kpiWindow: "today", revoking: "" };

// esc makes any text safe to put in HTML.
function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const pct = (v, digits = 1) => (v === null || v === undefined ? "—" : (v * 100).toFixed(digits) + "%");
const num = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
function ago(t) {
  if (!t || t.startsWith("0001")) return "—";
  const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
  if (s < 60) return Math.round(s) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}
function dur(s) {
  if (!s) return "—";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return (s / 60).toFixed(1) + " min";
  return (s / 3600).toFixed(1) + " h";
}
const isAdmin = () => state.me && state.me.role === "admin";

// api calls the JSON API. Every request carries the session's CSRF token:
// changes need it, and so do the admin-only reads (the API tokens list).
async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (state.csrf) opts.headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  if (r.status === 401 && path !== "/api/v1/session") {
    showSignIn();
    throw new Error("signed out");
  }
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error((data && data.error) || r.statusText);
  return data;
}

function flash(msg, bad) {
  const f = $("#flash");
  f.textContent = msg;
  f.className = "flash" + (bad ? " bad" : "");
  f.hidden = false;
  clearTimeout(flash.t);
  flash.t = setTimeout(() => (f.hidden = true), 6000);
}

// ---- sign in ----
function showSignIn() {
  if (state.events) state.events.close();
  // What the last person saw is not for whoever signs in next.
  state.csrf = "";
  forgetTokens();
  state.waves = null;
  $("#waves-table").innerHTML = "";
  $("#waves-done-table").innerHTML = "";
  state.carts = null;
  $("#carts-table").innerHTML = "";
  $("#carts-held").textContent = "0";
  $("#carts-packing").textContent = "0";
  $("#walls-table").innerHTML = "";
  $("#flash").hidden = true;
  $("#app").hidden = true;
  $("#signin").hidden = false;
  $("#signin-badge").focus();
}

$("#signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("#signin-error").textContent = "";
  try {
    const r = await api("POST", "/api/v1/session", { badge: $("#signin-badge").value.trim(), pin: $("#signin-pin").value });
    $("#signin-pin").value = "";
    start(r);
  } catch (err) {
    $("#signin-error").textContent = err.message;
  }
});

$("#signout").addEventListener("click", async () => {
  try { await api("DELETE", "/api/v1/session"); } catch (_) { /* signed out anyway */ }
  state.me = null;
  showSignIn();
});

function start(session) {
  state.me = session.operator;
  state.csrf = session.csrf;
  $("#who-name").textContent = session.operator.name || session.operator.id;
  $("#who-role").textContent = session.operator.role;
  document.querySelectorAll(".admin-only").forEach((el) => (el.hidden = !isAdmin()));
  $("#signin").hidden = true;
  $("#app").hidden = false;
  connectLive();
  route();
}

// ---- live updates ----
function connectLive() {
  if (state.events) state.events.close();
  const es = new EventSource("/api/v1/events");
  state.events = es;
  es.onopen = () => $("#live").classList.add("on");
  es.onerror = () => $("#live").classList.remove("on");
  es.addEventListener("status", (e) => {
    state.status = JSON.parse(e.data);
    renderStatus();
  });
  es.addEventListener("journal", (e) => {
    const ev = JSON.parse(e.data);
    state.lastEvent = ev;
    if (ev.type.startsWith("label.")) soon("print", loadPrint);
    // No journal event changes the API tokens: reloading them would only
    // close a revoke waiting for its confirmation.
    if (state.view !== "tokens") soon("view", () => load(state.view));
  });
}

// soon runs fn once after a burst of calls with the same key.
const timers = {};
function soon(key, fn) {
  clearTimeout(timers[key]);
  timers[key] = setTimeout(fn, 250);
}

// ---- navigation ----
function route() {
  const view = (location.hash || "#overview").slice(1);
  const sec = document.getElementById("view-" + view);
  // A view marked data-admin is an admin's; anyone else gets the overview.
  state.view = sec && (isAdmin() || !sec.hasAttribute("data-admin")) ? view : "overview";
  document.querySelectorAll(".view").forEach((v) => (v.hidden = v.id !== "view-" + state.view));
  document.querySelectorAll(".side a").forEach((a) => a.classList.toggle("active", a.dataset.view === state.view));
  load(state.view);
}
window.addEventListener("hashchange", route);

function load(view) {
  const loaders = { overview: loadOverview, devices: loadDevices, tasks: loadTasks, print: loadPrint, sync: loadSync,
    exceptions: loadExceptions, kpi: loadKPI, labels: loadLabels, audit: loadAudit, tokens: loadTokens };
  (loaders[view] || loadOverview)().catch((err) => err.message !== "signed out" && flash(err.message, true));
}

// ---- overview ----
function stat(label, value, sub, cls, id) {
  return `<div class="stat ${cls || ""}" ${id ? `id="${id}"` : ""}><div class="label">${label}</div><div class="value">${value}</div><div class="sub">${sub || ""}</div></div>`;
}

// tasksStat shows where the open tasks are; amber when work waits while a
// picker stands idle, or a task sits on a device that is away.
function tasksStat(t) {
  const waiting = t.waiting || 0, idle = t.idle_pickers || 0, absent = t.held_by_absent || 0;
  const notes = [`${t.in_progress || 0} in progress · 拣货中`];
  if (absent) notes.push(`${absent} on a PDA that is away · 设备离线`);
  if (waiting && idle) notes.push(`${idle} picker${idle > 1 ? "s" : ""} idle: press Next on the PDA · 有拣货员空闲`);
  return stat("Tasks waiting · 待拣任务", waiting, notes.join("<br>"), (waiting && idle) || absent ? "warn" : "", "card-tasks");
}

// printersStat is red while a printer is in a fault or a pack station in
// use (or configured) has no printer at all: its waybills cannot print.
function printersStat(n, faults, orphans) {
  const notes = orphans.map((x) => `No printer serves station ${esc(x.station)} · 工位 ${esc(x.station)} 无打印机` +
    (x.held_jobs ? ` (${x.held_jobs} held · 暂存)` : ""));
  if (faults) notes.unshift(`${faults} need attention`);
  return stat("Printers · 打印机", n, notes.length ? notes.join("<br>") : "all ready", notes.length ? "bad" : "ok", "card-printers");
}

function printerBadge(st) {
  return `<span class="badge ${st === "ready" ? "ok" : st ? "bad" : ""}">${esc(st || "unknown")}</span>`;
}

const mib = (b) => (b ? (b / 1048576).toFixed(b < 10485760 ? 1 : 0) : "0");

// storeAlert says, across the overview, that nothing new can be saved and
// what frees the store; empty while it has room.
function storeAlert(st) {
  if (!st.full) return "";
  const disk = st.reason === "disk";
  const what = disk
    ? ["The disk holding the database is full.", "数据库所在的磁盘已满。"]
    : [`The database file reached store.max_size_mb (${mib(st.bytes)} of ${mib(st.limit_bytes)} MB).`,
      `数据库文件已达到 store.max_size_mb 上限（${mib(st.bytes)} / ${mib(st.limit_bytes)} MB）。`];
  const todo = disk
    ? ["Free space on that disk (old logs, backups): floorgate recovers by itself at the next save.",
      "请清理该磁盘（旧日志、备份等），下一次保存成功后 floorgate 自动恢复。"]
    : ["Raise store.max_size_mb in the configuration and restart floorgate, or bring the upstream link back so retention can prune the events it acknowledged.",
      "请在配置中调大 store.max_size_mb 并重启 floorgate，或恢复上传链路，以便保留策略清理已确认上传的事件。"];
  return `<div class="store-full" id="store-full" role="alert">` +
    `<strong>Store full · 存储已满</strong> <span class="small">${esc(ago(st.since))}</span>` +
    `<p>Nothing new is saved: logins, scans and prints fail. ${esc(what[0])} ${esc(todo[0])}</p>` +
    `<p lang="zh">无法保存任何新数据：登录、扫描和打印都会失败。${esc(what[1])}${esc(todo[1])}</p></div>`;
}

function renderStatus() {
  const s = state.status;
  if (!s) return;
  const st = s.store || {};
  $("#site-name").textContent = `${s.site} · ${s.gateway}`;
  // The incarnation prefixes every event id; a restore starts a new one.
  const inc = s.incarnation || {};
  $("#site-name").title = inc.id ? `incarnation ${inc.id} since seq ${inc.first_seq}` +
    (inc.restored_from ? ` (restored from ${inc.restored_from} at seq ${inc.restored_seq})` : "") : "";
  const faults = (s.printers || []).filter((p) => p.state !== "ready").length;
  const orphans = s.stations_without_printer || [];
  const scanErr = (s.scanners || []).filter((x) => x.status !== "connected").length;
  const up = s.upstream && s.upstream.connected;
  const c = s.counts || {};
  $("#overview-cards").innerHTML = storeAlert(st) +
    stat("PDAs connected · 在线PDA", (s.connected_devices || []).length, `${c.sessions || 0} sessions`, "ok") +
    tasksStat(s.tasks || {}) +
    printersStat((s.printers || []).length, faults, orphans) +
    stat("Scanners · 扫描枪", (s.scanners || []).length, scanErr ? `${scanErr} not connected` : "all connected", scanErr ? "warn" : "ok") +
    stat("Upstream · 上传", up ? "connected" : "offline", up ? esc(s.upstream.broker || "") : esc(s.upstream.last_error || "the floor keeps working"), up ? "ok" : "warn") +
    stat("Outbox · 待发事件", s.outbox.depth, s.outbox.depth ? "oldest " + dur(s.oldest_unsent_s) : "nothing waiting", s.oldest_unsent_s > 300 ? "warn" : "ok") +
    stat("Dead letters · 死信", s.outbox.dead_letters, s.outbox.dead_letters ? "retry on Sync" : "none", s.outbox.dead_letters ? "bad" : "ok") +
    stat("Store · 存储", st.full ? "full · 已满" : mib(st.bytes) + " MB", `of ${mib(st.limit_bytes)} MB (store.max_size_mb)`, st.full ? "bad" : "ok", "card-store");
  $("#overview-printers").innerHTML = ((s.printers || []).length
    ? "<tr><th>Printer</th><th>State</th><th>Stations</th><th>Checked</th></tr>" +
      s.printers.map((p) => `<tr data-printer="${esc(p.id)}"><td>${esc(p.id)}</td><td class="state">${printerBadge(p.state)} <span class="muted small">${esc(p.detail || "")}</span></td><td>${esc((p.stations || []).join(", "))}</td><td class="muted">${ago(p.checked)}</td></tr>`).join("")
    : `<tr><td class="muted">No printers configured.</td></tr>`) +
    orphans.map((x) => `<tr data-station="${esc(x.station)}"><td>—</td><td class="state"><span class="badge bad">no printer</span> <span class="muted small">${esc(x.reason)}</span></td><td>${esc(x.station)}</td><td></td></tr>`).join("");
  $("#tls-fp").textContent = s.tls_fingerprint ? "TLS certificate SHA-256 · 证书指纹: " + s.tls_fingerprint : "TLS is off: plain HTTP · 未启用TLS";
  $("#overview-scanners").innerHTML = (s.scanners || []).length
    ? "<tr><th>Scanner</th><th>Station</th><th>State</th><th>Last scan</th></tr>" +
      s.scanners.map((x) => `<tr><td>${esc(x.name)}<div class="muted small">${esc(x.model)}</div></td><td>${esc(x.station)} ${x.operator ? `<span class="muted">(${esc(x.operator)})</span>` : ""}</td><td><span class="badge ${x.status === "connected" ? "ok" : x.status === "error" ? "bad" : "warn"}">${esc(x.status)}</span> <span class="muted small">${esc(x.reason || "")}</span></td><td class="muted">${ago(x.last_scan)}</td></tr>`).join("")
    : `<tr><td class="muted">No wired scanners configured.</td></tr>`;
  renderSyncCards();
  renderParcels(s.parcels || []);
}

// ---- the presale shelf ----
// A held parcel waits for its order's release; a released one has its
// waybill printed and waits to be shipped: amber after the outbound
// standard (30 minutes).
function renderParcels(list) {
  $("#parcels").hidden = !list.length;
  $("#parcels-table").innerHTML = list.length
    ? "<tr><th>Order · 订单</th><th>Status · 状态</th><th>Station · 工位</th><th>Packer · 打包员</th><th>Packed · 打包</th><th>Released · 放行</th></tr>" +
      list.map((p) => {
        const released = isSet(p.released);
        const late = released && (Date.now() - Date.parse(p.released)) / 1000 > 1800;
        const badge = p.cancelled
          ? `<span class="badge bad">cancelled — take it off the shelf · 已取消，请下架</span>`
          : released
          ? `<span class="badge ${late ? "warn" : "ok"}">released · 已放行${late ? " — ship it · 请发货" : ""}</span>`
          : `<span class="badge">packed_held · 暂存</span>`;
        return `<tr data-order="${esc(p.order)}"><td class="mono">${esc(p.order)}</td><td>${badge}</td><td>${esc(p.station)}</td><td>${esc(p.packer)}</td><td class="muted">${ago(p.packed)}</td><td class="muted">${released ? ago(p.released) : "—"}</td></tr>`;
      }).join("")
    : "";
}

async function loadOverview() {
  if (!state.status) state.status = await api("GET", "/api/v1/status");
  renderStatus();
  await Promise.all([loadWaves(), loadCarts(), loadWalls()]);
}

// ---- waves ----
// Held waves wait for a supervisor (or their release time); released ones
// are being picked. The panel is reloaded with the overview on every
// journal event, and redrawn each half minute so the time left stays true.
const canSupervise = () => state.me && (state.me.role === "admin" || state.me.role === "supervisor");
const isSet = (t) => t && !t.startsWith("0001");

// clock shows a time as hours and minutes, with the date when not today.
function clock(t) {
  const d = new Date(t);
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return d.toDateString() === new Date().toDateString() ? hm : `${d.toLocaleDateString()} ${hm}`;
}

async function loadWaves() {
  state.waves = await api("GET", "/api/v1/waves");
  renderWaves();
}

// cutoffCell is the carrier's cut-off and the time left to it: amber under
// 30 minutes, red once past.
function cutoffCell(w) {
  if (!isSet(w.cutoff)) return `<td class="cutoff muted">—</td>`;
  const left = (Date.parse(w.cutoff) - Date.now()) / 1000;
  const cls = left <= 0 ? "bad" : left < 1800 ? "warn" : "ok";
  const txt = left <= 0 ? `${dur(Math.max(-left, 1))} past · 已过` : `${dur(left)} left · 剩余`;
  return `<td class="cutoff ${cls}">${esc(clock(w.cutoff))} <span class="badge ${cls}">${esc(txt)}</span></td>`;
}

function renderWaves() {
  const all = state.waves || [];
  const open = all.filter((w) => w.status !== "completed");
  const done = all.filter((w) => w.status === "completed");
  $("#waves-table").innerHTML = "<tr><th>Wave · 波次</th><th>Status · 状态</th><th class=num>Priority · 优先级</th><th>Progress · 进度</th><th>Cut-off · 截单</th><th>Release · 下发</th><th></th></tr>" +
    (open.map((w) => {
      const closed = w.done + w.cancelled, left = w.tasks - closed;
      const held = w.status === "held";
      const status = held ? `<span class="badge warn">held · 暂停</span>` : `<span class="badge ok">released · 已下发</span>`;
      const release = held
        ? (isSet(w.release_at) ? `at · 定时 ${esc(clock(w.release_at))}` : `<span class="muted">by hand · 手动</span>`)
        : `${esc(clock(w.released_at))} <span class="muted small">by ${esc(w.released_actor || w.released_by)}</span>`;
      const act = held && canSupervise() ? `<button class="primary" data-release="${esc(w.id)}">Release · 下发</button>` : "";
      return `<tr data-wave="${esc(w.id)}" data-status="${esc(w.status)}"><td>${esc(w.id)}</td><td class="state">${status}</td><td class=num>${w.priority || 0}</td>
        <td class="progress"><progress max="${w.tasks}" value="${closed}"></progress> ${closed}/${w.tasks} <span class="muted small">${left} open · 未完成${w.cancelled ? `, ${w.cancelled} cancelled · 已取消` : ""}</span></td>
        ${cutoffCell(w)}<td class="release">${release}</td><td class="act">${act}</td></tr>`;
    }).join("") || `<tr><td colspan="7" class="muted">No open waves. · 暂无进行中的波次</td></tr>`);
  $("#waves-done").hidden = done.length === 0;
  $("#waves-done-count").textContent = done.length;
  $("#waves-done-table").innerHTML = "<tr><th>Wave · 波次</th><th class=num>Done · 完成</th><th class=num>Cancelled · 取消</th><th>Completed · 完成时间</th><th>Cut-off · 截单</th></tr>" +
    done.slice(0, 20).map((w) => {
      const late = isSet(w.cutoff) && Date.parse(w.completed_at) > Date.parse(w.cutoff);
      return `<tr data-wave="${esc(w.id)}" data-status="completed"><td>${esc(w.id)}</td><td class=num>${w.done}</td><td class=num>${w.cancelled}</td>
        <td>${esc(clock(w.completed_at))}</td><td>${isSet(w.cutoff) ? esc(clock(w.cutoff)) : "—"} ${late ? `<span class="badge bad">late · 超时</span>` : ""}</td></tr>`;
    }).join("");
}

// Redrawn each half minute so the time left to a cut-off and a cart's
// running time stay true between journal events.
setInterval(() => {
  if (state.view !== "overview") return;
  if (state.waves) renderWaves();
  if (state.carts) renderCarts();
}, 30000);

$("#waves-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-release]");
  if (!b) return;
  b.disabled = true;
  try {
    const w = await api("POST", `/api/v1/waves/${encodeURIComponent(b.dataset.release)}/release`);
    flash(`Wave ${w.id} released to the pickers · 波次已下发`);
  } catch (err) {
    flash(err.message, true);
  }
  loadWaves().catch((err) => err.message !== "signed out" && flash(err.message, true));
});

// ---- carts ----
// The carts being picked, oldest first, and the totes holding orders. Like
// the waves, the panel reloads with the overview on every journal event (a
// cart taken, a tote bound, a stop confirmed, a put) and is redrawn each
// half minute so the running times stay true.
async function loadCarts() {
  state.carts = await api("GET", "/api/v1/carts");
  renderCarts();
}

function renderCarts() {
  const v = state.carts || { running: [], totes_held: 0, at_packing: 0 };
  $("#carts-held").textContent = v.totes_held;
  $("#carts-packing").textContent = v.at_packing;
  $("#carts-table").innerHTML = "<tr><th>Cart · 拣货车</th><th>Picker · 拣货员</th><th>Progress · 进度</th><th>Where · 位置</th><th>Running · 用时</th></tr>" +
    ((v.running || []).map((c) => {
      const binding = c.bound < c.orders;
      const progress = binding
        ? `<progress max="${c.orders}" value="${c.bound}"></progress> ${c.bound}/${c.orders} <span class="small">totes bound · 绑定周转箱中</span>`
        : `<progress max="${c.orders}" value="${c.done}"></progress> ${c.done}/${c.orders} <span class="muted small">orders picked · 订单已拣</span>`;
      const where = c.location ? esc(c.location) : `<span class="muted">${binding ? "binding · 绑定中" : "between stops · 途中"}</span>`;
      const ran = isSet(c.started) ? dur(Math.max(1, (Date.now() - Date.parse(c.started)) / 1000)) : "—";
      return `<tr data-cart="${esc(c.cart)}" data-state="${binding ? "binding" : "picking"}"><td>${esc(c.cart)}</td>
        <td class="picker">${esc(c.operator)} <span class="muted small">${esc(c.device)}</span></td>
        <td class="progress${binding ? " binding" : ""}">${progress}</td><td class="where">${where}</td>
        <td class="running">${esc(ran)} <span class="muted small">since · 开始于 ${esc(isSet(c.started) ? clock(c.started) : "—")}</span></td></tr>`;
    }).join("") || `<tr><td colspan="5" class="muted">No cart is being picked. · 暂无拣货车作业</td></tr>`);
}

// ---- walls ----
// The put walls of the master data, each with a link to its screen
// (/wall/ID), shown on a display at the wall.
async function loadWalls() {
  const walls = await api("GET", "/api/v1/walls");
  $("#walls-table").innerHTML = "<tr><th>Wall · 播种墙</th><th>Station · 工位</th><th class=num>Slots · 格口</th><th>Screen · 屏幕</th></tr>" +
    (walls.map((w) => `<tr data-wall="${esc(w.id)}"><td>${esc(w.id)}</td><td>${esc(w.station || "—")}</td><td class=num>${(w.slots || []).length}</td>
      <td><a href="/wall/${encodeURIComponent(w.id)}" target="_blank">open the wall screen · 打开</a></td></tr>`).join("") ||
      `<tr><td colspan="4" class="muted">No put walls. · 暂无播种墙</td></tr>`);
}

// ---- devices ----
async function loadDevices() {
  const ds = await api("GET", "/api/v1/devices");
  const rows = ds.map((d) => {
    let st = d.disabled ? `<span class="badge bad">disabled</span>` : d.connected ? `<span class="badge ok">connected</span>` : `<span class="badge">offline</span>`;
    if (d.state && !d.disabled) st = `<span class="badge ${d.state === "connected" ? "ok" : "bad"}">${esc(d.state)}</span> <span class="muted small">${esc(d.reason || "")}</span>`;
    const act = isAdmin() && d.kind === "pda"
      ? `<button class="${d.disabled ? "" : "danger"}" data-act="${d.disabled ? "enable" : "disable"}" data-id="${esc(d.id)}">${d.disabled ? "Enable" : "Disable"}</button>` : "";
    const at = d.station ? `<div class="muted small">station · 工位 ${esc(d.station)}</div>` : "";
    return `<tr data-device="${esc(d.id)}"><td>${esc(d.id)}${at}</td><td>${esc(d.kind)}</td><td>${esc(d.model || "")}</td><td>${st}</td><td>${esc(d.operator || "")}</td><td>${esc(d.task || "")}</td><td class="muted">${d.last_scan ? ago(d.last_scan) : d.last_seen ? ago(d.last_seen) : ""}</td><td>${act}</td></tr>`;
  });
  $("#devices-table").innerHTML = "<tr><th>Device</th><th>Kind</th><th>Model</th><th>State</th><th>Operator</th><th>Task</th><th>Last activity</th><th></th></tr>" +
    (rows.join("") || `<tr><td colspan="8" class="muted">No devices yet.</td></tr>`);
}

$("#devices-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-act]");
  if (!b) return;
  if (b.dataset.act === "disable" && !confirm(`Disable ${b.dataset.id}? Its picker is logged out and it cannot connect until enabled.`)) return;
  try {
    await api("POST", `/api/v1/devices/${encodeURIComponent(b.dataset.id)}/${b.dataset.act}`);
    flash(`${b.dataset.id}: ${b.dataset.act}d`);
    loadDevices();
  } catch (err) { flash(err.message, true); }
});

$("#enrol").addEventListener("click", async () => {
  try {
    const r = await api("POST", "/api/v1/devices/enrol");
    const box = $("#enrol-box");
    box.innerHTML = `<img alt="pairing QR code" src="${esc(r.qr)}"><div><div class="muted">Pairing code · 配对码</div><div class="code" id="pair-code">${esc(r.code)}</div>
      <div>On the PDA open <b>${esc(r.url)}</b><br>or type the code on its pairing screen. · 在PDA上打开该地址或输入配对码。</div>
      <div class="muted small">Valid once, until ${new Date(r.expires).toLocaleTimeString()}.</div>
      ${r.fingerprint ? `<div class="muted small">The PDA must show certificate fingerprint · 证书指纹 ${esc(r.fingerprint)}</div>` : ""}</div>`;
    box.hidden = false;
  } catch (err) { flash(err.message, true); }
});

// ---- tasks ----
async function loadTasks() {
  const [tasks, devices] = await Promise.all([api("GET", "/api/v1/tasks"), api("GET", "/api/v1/devices")]);
  const idle = devices.filter((d) => d.operator && !d.task && !d.disabled);
  const opts = idle.map((d) => `<option value="${esc(d.id)}">${esc(d.id)} · ${esc(d.operator)}</option>`).join("");
  $("#tasks-table").innerHTML = "<tr><th>Task</th><th>Order</th><th>Status</th><th>Operator</th><th>Device</th><th class=num>Lines</th><th class=num>Picked</th><th></th></tr>" +
    (tasks.map((t) => {
      const picked = t.lines.reduce((n, l) => n + (l.picked || 0), 0), asked = t.lines.reduce((n, l) => n + l.qty, 0);
      // A held wave's task goes to nobody until the wave is released.
      const act = isAdmin() && opts && t.status !== "held" ? `<select data-task="${esc(t.id)}"><option value="">Reassign to…</option>${opts}</select>` : "";
      const cls = t.status === "assigned" ? "ok" : t.status === "held" ? "warn" : "";
      return `<tr><td>${esc(t.id)}${t.wave ? `<div class="muted small">wave · 波次 ${esc(t.wave)}</div>` : ""}</td><td>${esc(t.order)}</td><td><span class="badge ${cls}">${esc(t.status)}</span></td><td>${esc(t.operator || "")}</td><td>${esc(t.device || "")}</td><td class=num>${t.lines.length}</td><td class=num>${picked}/${asked}</td><td>${act}</td></tr>`;
    }).join("") || `<tr><td colspan="8" class="muted">No open tasks.</td></tr>`);
}

$("#tasks-table").addEventListener("change", async (e) => {
  const sel = e.target.closest("select[data-task]");
  if (!sel || !sel.value) return;
  try {
    await api("POST", `/api/v1/tasks/${encodeURIComponent(sel.dataset.task)}/reassign`, { device: sel.value });
    flash(`${sel.dataset.task} reassigned to ${sel.value}`);
  } catch (err) { flash(err.message, true); }
  loadTasks();
});

// ---- print queue ----
async function loadPrint() {
  const jobs = await api("GET", "/api/v1/printjobs");
  jobs.sort((a, b) => (b.updated || b.created).localeCompare(a.updated || a.created));
  const cls = { printed: "ok", held: "warn", failed: "bad", cancelled: "", queued: "", printing: "warn" };
  $("#print-table").innerHTML = "<tr><th>Job</th><th>Order</th><th>Station</th><th>Printer</th><th>Status</th><th>Reason</th><th></th></tr>" +
    (jobs.map((j) => `<tr data-job="${esc(j.id)}"><td>${esc(j.id)}<div class="muted small">${esc(j.template)}</div></td><td>${esc(j.order || "")}</td><td>${esc(j.station || "")}</td><td>${esc(j.printer || "")}</td>
      <td><span class="badge ${cls[j.status] || ""}">${esc(j.status)}</span></td><td class="muted">${esc(j.reason || j.reprint_reason || "")}</td>
      <td><a href="/api/v1/printjobs/${encodeURIComponent(j.id)}/preview.png" target="_blank">preview</a>
      ${isAdmin() ? ` <button data-reprint="${esc(j.id)}">Reprint</button>` : ""}</td></tr>`).join("") ||
      `<tr><td colspan="7" class="muted">No print jobs yet.</td></tr>`);
}

// reprintClicked asks an admin why and queues the reprint of the job whose
// Reprint button was clicked, in the print queue or the Labels view.
async function reprintClicked(e) {
  const b = e.target.closest("button[data-reprint]");
  if (!b) return;
  const reason = prompt("Why reprint? · 重打原因", "damaged label");
  if (!reason) return;
  try {
    await api("POST", `/api/v1/printjobs/${encodeURIComponent(b.dataset.reprint)}/reprint`, { reason });
    flash("Reprint queued · 已加入重打");
    load(state.view);
  } catch (err) { flash(err.message, true); }
}
$("#print-table").addEventListener("click", reprintClicked);
$("#labels-grid").addEventListener("click", reprintClicked);

// ---- sync ----
function renderSyncCards() {
  const s = state.status;
  if (!s) return;
  const u = s.upstream || {};
  $("#sync-cards").innerHTML =
    stat("Broker · 服务器", u.connected ? "connected" : "offline", esc(u.broker || u.last_error || ""), u.connected ? "ok" : "warn") +
    stat("Outbox depth · 待发", s.outbox.depth, "events", s.outbox.depth > 1000 ? "warn" : "ok") +
    stat("Oldest unsent · 最久未发", dur(s.oldest_unsent_s), "", s.oldest_unsent_s > 300 ? "warn" : "ok") +
    stat("Last PUBACK · 最近确认", ago(u.last_puback), `${num(u.events_per_s, 1)} events/s`, "") +
    stat("Dead letters · 死信", s.outbox.dead_letters, "", s.outbox.dead_letters ? "bad" : "ok");
}

async function loadSync() {
  if (!state.status) state.status = await api("GET", "/api/v1/status");
  renderSyncCards();
  const dead = await api("GET", "/api/v1/deadletters");
  $("#dead-table").innerHTML = "<tr><th class=num>Seq</th><th>Type</th><th>Reason</th><th>At</th><th></th></tr>" +
    (dead.map((d) => `<tr><td class=num>${d.seq}</td><td>${esc(d.type)}</td><td>${esc(d.reason)}</td><td class="muted">${ago(d.at)}</td><td>${d.retry ? "retry asked" : isAdmin() ? `<button data-retry="${d.seq}">Retry</button>` : ""}</td></tr>`).join("") ||
      `<tr><td colspan="5" class="muted">No dead letters. · 无死信</td></tr>`);
}

$("#dead-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-retry]");
  if (!b) return;
  try {
    await api("POST", `/api/v1/deadletters/${b.dataset.retry}/retry`);
    flash("Sent again on the next connection");
    loadSync();
  } catch (err) { flash(err.message, true); }
});

// ---- exceptions ----
async function loadExceptions() {
  const r = await api("GET", "/api/v1/exceptions");
  const s = r.summary;
  $("#exc-window").textContent = "today";
  $("#exc-cards").innerHTML =
    stat("Short picks · 缺货", s.short_picks, "", s.short_picks ? "warn" : "ok") +
    stat("Intercepts · 拦截", s.intercepts, "", s.intercepts ? "warn" : "ok") +
    stat("Labels not printed · 面单失败", s.label_failures, "", s.label_failures ? "bad" : "ok");
  $("#exc-locations").innerHTML = "<tr><th>Location</th><th class=num>Wrong scans</th><th>By code</th></tr>" +
    ((s.wrong_scans_by_location || []).map((l) => `<tr><td>${esc(l.location || "(no line)")}</td><td class=num>${l.count}</td><td class="muted small">${Object.entries(l.by_code).map(([k, v]) => `${esc(k)} ${v}`).join(", ")}</td></tr>`).join("") ||
      `<tr><td colspan="3" class="muted">None today.</td></tr>`);
  $("#exc-items").innerHTML = "<tr><th>When</th><th>What</th><th>Order</th><th>Detail</th></tr>" +
    (r.items.slice(0, 100).map((x) => {
      const d = x.data;
      const what = x.type === "label.failed" ? "label not printed" : d.kind === "short_pick" ? "short pick" : d.kind;
      const detail = x.type === "label.failed" ? (d.reason || d.printer || "") : `${d.location || ""} ${d.sku || ""} ${d.found ?? ""}/${d.expected ?? ""} ${d.operator || ""}`;
      return `<tr><td class="muted">${new Date(x.time).toLocaleTimeString()}</td><td>${esc(what)}</td><td>${esc(d.order || "")}</td><td class="small">${esc(detail)}</td></tr>`;
    }).join("") || `<tr><td colspan="4" class="muted">None today.</td></tr>`);
}

// ---- KPIs ----
$("#kpi-window").addEventListener("change", (e) => { state.kpiWindow = e.target.value; loadKPI(); });

function kpiQuery() {
  const now = new Date();
  // People's hours count the people at work in each hour (the hours table).
  if (state.kpiWindow === "today") return "?people_hours=true";
  const hours = state.kpiWindow === "8h" ? 8 : 24;
  const from = new Date(now.getTime() - hours * 3600e3);
  return `?from=${encodeURIComponent(from.toISOString().replace(/\.\d+Z$/, "Z"))}&to=${encodeURIComponent(new Date(now.getTime() + 1000).toISOString().replace(/\.\d+Z$/, "Z"))}&people_hours=true`;
}

function okCls(ok) { return ok === true ? "ok" : ok === false ? "bad" : ""; }

async function loadKPI() {
  const r = await api("GET", "/api/v1/kpi" + kpiQuery());
  const s = r.site;
  $("#kpi-cards").innerHTML =
    stat("Pick accuracy · 拣货准确率", pct(s.pick_accuracy, 2), "standard ≥ 99.8%", okCls(s.accuracy_ok), "kpi-accuracy") +
    stat("Lines right first time · 一次拣对率", pct(s.line_accuracy, 2), "standard ≥ 99.8%", okCls(s.line_accuracy_ok), "kpi-line-accuracy") +
    stat("Lines per hour · 每小时行数", num(s.lines_per_hour, 1), `${s.lines} lines`, "") +
    stat("Location first · 先扫库位", pct(s.sequence_compliance), "sequence compliance", s.sequence_compliance === null ? "" : s.sequence_compliance >= 0.99 ? "ok" : "warn") +
    stat("In 5–10 cm · 距离合规", pct(s.distance.in_band_share), `${pct(s.distance.unknown_share)} unknown`, "") +
    stat("Pack → outbound · 出库时长", dur(s.pack_to_outbound.p50_s), `${pct(s.pack_to_outbound.within_standard_share)} within 30 min`, s.pack_to_outbound.within_standard_share === null ? "" : s.pack_to_outbound.within_standard_share >= 0.95 ? "ok" : "warn") +
    stat("Scans · 扫描", s.scans, `${s.rejected} rejected`, "");
  const cols = "<tr><th>Person</th><th>Role</th><th class=num>Scans</th><th class=num>Lines</th><th class=num>Lines/h</th><th class=num>Accuracy</th><th class=num>Location first</th><th class=num>In band</th><th class=num>Unknown dist.</th><th class=num>Pick time</th><th class=num>Pack→out p50</th><th class=num>≤ 30 min</th></tr>";
  $("#kpi-table").innerHTML = cols + (r.people.map((p) => `<tr data-operator="${esc(p.operator)}"><td>${esc(p.name || p.operator)} <span class="muted small">${esc(p.operator)}</span></td><td>${esc(p.role || "")}</td>
    <td class="num scans">${p.scans}</td><td class="num lines">${p.lines}</td><td class="num lph">${num(p.lines_per_hour, 1)}</td>
    <td class="num accuracy"><span class="badge ${okCls(p.accuracy_ok)}">${pct(p.pick_accuracy, 2)}</span></td><td class="num seq">${pct(p.sequence_compliance)}</td>
    <td class="num inband">${pct(p.distance.in_band_share)}</td><td class="num unknown">${pct(p.distance.unknown_share)}</td><td class="num">${dur(p.stages.pick.mean_s)}</td>
    <td class="num">${dur(p.pack_to_outbound.p50_s)}</td><td class="num">${pct(p.pack_to_outbound.within_standard_share)}</td></tr>`).join("") ||
    `<tr><td colspan="12" class="muted">Nobody has worked in this window yet.</td></tr>`);
  drawBars($("#kpi-bars"), r.people.filter((p) => p.hours_logged_in > 0).map((p) => ({ label: p.name || p.operator, value: p.lines_per_hour, low: p.accuracy_ok === false })));
  drawTrend($("#kpi-trend"), r.hours);
  const worked = r.hours.filter((h) => h.scans || h.lines || h.hours_logged_in);
  $("#kpi-hours").innerHTML = "<tr><th>Hour</th><th class=num>People</th><th class=num>Scans</th><th class=num>Lines</th><th class=num>Lines/h</th><th class=num>Accuracy</th><th class=num>Location first</th><th class=num>In band</th></tr>" +
    (worked.map((h) => {
      const people = r.people.filter((p) => p.hours.some((x) => x.start === h.start && (x.scans || x.hours_logged_in))).length;
      return `<tr><td>${new Date(h.start).getHours()}:00–${new Date(h.start).getHours() + 1}:00</td><td class=num>${people}</td><td class=num>${h.scans}</td><td class=num>${h.lines}</td><td class=num>${num(h.lines_per_hour, 1)}</td><td class=num>${pct(h.pick_accuracy, 2)}</td><td class=num>${pct(h.sequence_compliance)}</td><td class=num>${pct(h.distance.in_band_share)}</td></tr>`;
    }).reverse().join("") || `<tr><td colspan="8" class="muted">Nothing yet in this window.</td></tr>`);
}

const SVGNS = "http://www.w3.org/2000/svg";
function svg(w, h) {
  const s = document.createElementNS(SVGNS, "svg");
  s.setAttribute("viewBox", `0 0 ${w} ${h}`);
  s.setAttribute("preserveAspectRatio", "none");
  return s;
}
function el(parent, name, attrs, text) {
  const e = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

// drawBars compares people: one bar each, amber when below the accuracy standard.
function drawBars(box, items) {
  box.innerHTML = "";
  if (!items.length) { box.innerHTML = `<p class="muted">No one logged in yet.</p>`; return; }
  const W = 540, H = 240, left = 36, bottom = 44, top = 10;
  const max = Math.max(1, ...items.map((i) => i.value));
  const s = svg(W, H);
  const bw = (W - left - 10) / items.length;
  el(s, "line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: "axis" });
  for (let t = 0; t <= 4; t++) {
    const y = H - bottom - (H - bottom - top) * t / 4;
    el(s, "text", { x: 2, y: y + 4 }, (max * t / 4).toFixed(max < 8 ? 1 : 0));
  }
  items.forEach((it, i) => {
    const h = (H - bottom - top) * it.value / max, x = left + i * bw + bw * 0.15;
    el(s, "rect", { x, y: H - bottom - h, width: bw * 0.7, height: Math.max(h, 0.5), class: "bar" + (it.low ? " low" : "") });
    el(s, "text", { x: x + bw * 0.35, y: H - bottom + 14, "text-anchor": "middle" }, it.label.length > 12 ? it.label.slice(0, 11) + "…" : it.label);
    el(s, "text", { x: x + bw * 0.35, y: H - bottom - h - 3, "text-anchor": "middle" }, it.value.toFixed(1));
  });
  box.appendChild(s);
}

// drawTrend draws scans and lines per hour.
function drawTrend(box, hours) {
  box.innerHTML = "";
  if (!hours.length) return;
  const W = 540, H = 240, left = 36, bottom = 28, top = 16;
  const max = Math.max(1, ...hours.map((h) => h.scans));
  const s = svg(W, H);
  const x = (i) => left + (W - left - 10) * (hours.length === 1 ? 0.5 : i / (hours.length - 1));
  const y = (v) => H - bottom - (H - bottom - top) * v / max;
  el(s, "line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: "axis" });
  for (let t = 0; t <= 4; t++) el(s, "text", { x: 2, y: y(max * t / 4) + 4 }, Math.round(max * t / 4));
  const step = Math.ceil(hours.length / 8);
  hours.forEach((h, i) => {
    if (i % step === 0) el(s, "text", { x: x(i), y: H - 8, "text-anchor": "middle" }, new Date(h.start).getHours() + ":00");
  });
  el(s, "polyline", { points: hours.map((h, i) => `${x(i)},${y(h.scans)}`).join(" "), class: "line-scans" });
  el(s, "polyline", { points: hours.map((h, i) => `${x(i)},${y(h.lines)}`).join(" "), class: "line-lines" });
  el(s, "text", { x: W - 150, y: 12 }, "— scans 扫描   — lines 行");
  box.appendChild(s);
}

// ---- labels: the last printed, newest first ----
async function loadLabels() {
  const labels = await api("GET", "/api/v1/labels");
  // Reloaded on every journal event: redraw (and fetch the pictures again)
  // only when the labels changed.
  const key = labels.map((l) => l.job).join(" ") + (isAdmin() ? " admin" : "");
  if (key === state.labelsKey) return;
  state.labelsKey = key;
  $("#labels-grid").innerHTML = labels.map((l) => `<figure data-job="${esc(l.job)}" data-order="${esc(l.order || "")}">
    <a href="${esc(l.preview)}" target="_blank"><img loading="lazy" alt="label ${esc(l.order || l.job)}" src="${esc(l.preview)}"></a>
    <figcaption><b class="order">${esc(l.order || l.job)}</b> · ${esc(l.kind.replace("_", " "))} ${esc(l.template)}${l.reprint_of ? ` · reprint · 重打` : ""}<br>
      station ${esc(l.station || "—")} · printer ${esc(l.printer || "—")}<br>
      <span class="muted">${esc(new Date(l.printed).toLocaleString())}</span>
      ${isAdmin() ? ` <button data-reprint="${esc(l.job)}">Reprint</button>` : ""}</figcaption></figure>`).join("") ||
    `<p class="muted">No labels printed yet. · 暂无已打印面单</p>`;
}

// ---- audit ----
async function loadAudit() {
  const log = await api("GET", "/api/v1/audit");
  $("#audit-table").innerHTML = "<tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Detail</th><th>From</th></tr>" +
    (log.map((a) => `<tr><td class="muted">${new Date(a.time).toLocaleString()}</td><td>${esc(a.actor)} <span class="muted small">${esc(a.role)}</span></td><td>${esc(a.action)}</td><td>${esc(a.target)}</td><td class="small">${esc(a.detail || "")}</td><td class="muted small">${esc(a.remote || "")}</td></tr>`).join("") ||
      `<tr><td colspan="6" class="muted">No admin actions yet.</td></tr>`);
}

// ---- API tokens (admins only) ----
const when = (t) => (t && !t.startsWith("0001") ? new Date(t).toLocaleString() : "—");

async function loadTokens() {
  if (!isAdmin()) return;
  const toks = (await api("GET", "/api/v1/tokens")).reverse(); // newest first
  $("#tokens-table").innerHTML = "<tr><th>Name · 名称</th><th>Scope · 权限</th><th>Created · 创建时间</th><th>By · 创建人</th><th>State · 状态</th><th></th></tr>" +
    (toks.map((k) => {
      const st = k.revoked
        ? `<span class="badge bad">revoked · 已吊销</span> <span class="muted small">${esc(when(k.revoked))}</span>`
        : `<span class="badge ok">active · 有效</span>`;
      let act = "";
      if (!k.revoked && state.revoking === k.id) {
        act = `<span class="confirm">Revoke ${esc(k.name)}? Programs using it are refused at once. · 确认吊销？</span>
          <button class="danger" data-revoke-confirm="${esc(k.id)}">Yes, revoke · 确认吊销</button> <button data-revoke-cancel="${esc(k.id)}">Cancel · 取消</button>`;
      } else if (!k.revoked) {
        act = `<button class="danger" data-revoke="${esc(k.id)}">Revoke · 吊销</button>`;
      }
      return `<tr data-token="${esc(k.id)}" class="${k.revoked ? "revoked" : ""}"><td>${esc(k.name)} <span class="muted small">${esc(k.id)}</span></td>
        <td><span class="badge ${k.scope === "admin" ? "warn" : ""}">${esc(k.scope)}</span></td><td class="muted">${esc(when(k.created))}</td>
        <td>${esc(k.created_by)}</td><td class="state">${st}</td><td class="act">${act}</td></tr>`;
    }).join("") || `<tr><td colspan="6" class="muted">No API tokens yet. · 暂无API令牌</td></tr>`);
}

// forgetTokens takes the tokens and any secret shown off the page.
function forgetTokens() {
  state.revoking = "";
  $("#tokens-table").innerHTML = "";
  hideSecret();
}

function hideSecret() {
  $("#token-secret").textContent = "";
  $("#token-secret-name").textContent = "";
  $("#token-copied").textContent = "";
  $("#token-secret-box").hidden = true;
}

$("#token-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const btn = $("#token-create");
  btn.disabled = true;
  try {
    const k = await api("POST", "/api/v1/tokens", { name: $("#token-name").value.trim(), scope: $("#token-scope").value });
    // The secret lives in this box only: never in state, storage or the table.
    $("#token-secret-name").textContent = `${k.name} (${k.scope})`;
    $("#token-secret").textContent = k.token;
    $("#token-copied").textContent = "";
    $("#token-secret-box").hidden = false;
    $("#token-form").reset();
    flash(`Token ${k.name} created · 令牌已创建`);
    await loadTokens();
  } catch (err) {
    flash(err.message, true);
  } finally {
    btn.disabled = false;
  }
});

$("#token-copy").addEventListener("click", async () => {
  const secret = $("#token-secret").textContent;
  try {
    // navigator.clipboard exists only in a secure context (https, localhost).
    if (!navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(secret);
    $("#token-copied").textContent = "Copied · 已复制";
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents($("#token-secret"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $("#token-copied").textContent = "Selected: press Ctrl+C to copy · 已选中，请按Ctrl+C复制";
  }
});

$("#token-secret-done").addEventListener("click", hideSecret);

$("#tokens-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  if (b.dataset.revoke !== undefined || b.dataset.revokeCancel !== undefined) {
    state.revoking = b.dataset.revoke || "";
    loadTokens().catch((err) => flash(err.message, true));
    return;
  }
  const id = b.dataset.revokeConfirm;
  if (id === undefined) return;
  b.disabled = true;
  try {
    await api("POST", `/api/v1/tokens/${encodeURIComponent(id)}/revoke`);
    flash("Token revoked · 令牌已吊销");
  } catch (err) {
    flash(err.message, true);
  }
  state.revoking = "";
  loadTokens().catch((err) => flash(err.message, true));
});

// ---- boot ----
(async function boot() {
  try {
    start(await api("GET", "/api/v1/session"));
  } catch (_) {
    showSignIn();
  }
})();
