// floorgate status page. Plain JavaScript: fetch the JSON API, keep it live
// with Server-Sent Events (/api/v1/events), draw small SVG charts.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { me: null, csrf: "", status: null, view: "overview", kpiWindow: "today", revoking: "" };

// ---- language ----
// Every text the page itself writes comes from T, in Chinese and English;
// what the server sends (order ids, station names, reasons, its error
// messages) is shown as sent. An entry is a string or a function of the
// values it frames. Static texts in index.html name their entry in data-t
// (text), data-t-html (markup), data-t-title or data-t-placeholder.
const T = {
  title: { zh: "floorgate — 现场状态", en: "floorgate — status" },
  "signin.sub": { zh: "现场状态", en: "Site status" },
  "signin.badge": { zh: "工牌", en: "Badge" },
  "signin.pin": { zh: "密码", en: "PIN" },
  "signin.go": { zh: "登录", en: "Sign in" },
  "signin.who": { zh: "仅限管理员和主管。", en: "Admins and supervisors only." },
  signout: { zh: "退出登录", en: "Sign out" },
  live: { zh: "实时更新", en: "live updates" },
  "nav.overview": { zh: "总览", en: "Overview" },
  "nav.devices": { zh: "设备", en: "Devices" },
  "nav.tasks": { zh: "任务", en: "Tasks" },
  "nav.print": { zh: "打印队列", en: "Print queue" },
  "nav.sync": { zh: "同步", en: "Sync" },
  "nav.exceptions": { zh: "异常", en: "Exceptions" },
  "nav.kpi": { zh: "绩效", en: "KPIs" },
  "nav.labels": { zh: "面单", en: "Labels" },
  "nav.audit": { zh: "审计", en: "Audit" },
  "nav.tokens": { zh: "API令牌", en: "API tokens" },
  role: { zh: (r) => ({ admin: "管理员", supervisor: "主管", picker: "拣货员", packer: "打包员" })[r] || r, en: (r) => r },

  // errors the page frames; the server's own text is shown as sent
  "err.http": { zh: (code, text) => `请求失败（${code} ${text}）`, en: (code, text) => `request failed (${code} ${text})` },
  "err.signin": { zh: (m) => `登录失败：${m}`, en: (m) => `Not signed in: ${m}` },
  "err.load": { zh: (m) => `无法读取：${m}`, en: (m) => `Could not load: ${m}` },
  "err.action": { zh: (m) => `操作未完成：${m}`, en: (m) => `Not done: ${m}` },
  "err.reply": { zh: "服务器的回复无法读取", en: "the server's reply could not be read" },
  "err.network": { zh: (m) => `无法连接网关：${m}`, en: (m) => `cannot reach the gateway: ${m}` },

  // overview
  "card.pdas": { zh: "在线PDA", en: "PDAs connected" },
  "card.pdas.sub": { zh: (n) => `${n} 个会话`, en: (n) => `${n} sessions` },
  "card.tasks": { zh: "待拣任务", en: "Tasks waiting" },
  "card.tasks.busy": { zh: (n) => `${n} 个拣货中`, en: (n) => `${n} in progress` },
  "card.tasks.away": { zh: (n) => `${n} 个在离线的PDA上`, en: (n) => `${n} on a PDA that is away` },
  "card.tasks.idle": { zh: (n) => `${n} 名拣货员空闲：请在PDA上按“下一个”`, en: (n) => `${n} picker${n > 1 ? "s" : ""} idle: press Next on the PDA` },
  "card.printers": { zh: "打印机", en: "Printers" },
  "card.printers.orphan": { zh: (st) => `工位 ${st} 无打印机`, en: (st) => `No printer serves station ${st}` },
  "card.printers.held": { zh: (n) => `（${n} 张暂存）`, en: (n) => ` (${n} held)` },
  "card.printers.faults": { zh: (n) => `${n} 台需要处理`, en: (n) => `${n} need attention` },
  "card.printers.ok": { zh: "全部就绪", en: "all ready" },
  "card.scanners": { zh: "扫描枪", en: "Scanners" },
  "card.scanners.down": { zh: (n) => `${n} 个未连接`, en: (n) => `${n} not connected` },
  "card.scanners.ok": { zh: "全部已连接", en: "all connected" },
  "card.upstream": { zh: "上传", en: "Upstream" },
  "card.upstream.keeps": { zh: "现场照常作业", en: "the floor keeps working" },
  connected: { zh: "已连接", en: "connected" },
  offline: { zh: "离线", en: "offline" },
  "card.outbox": { zh: "待发事件", en: "Outbox" },
  "card.outbox.oldest": { zh: (d) => `最早 ${d}`, en: (d) => "oldest " + d },
  "card.outbox.none": { zh: "没有待发事件", en: "nothing waiting" },
  "card.dead": { zh: "死信", en: "Dead letters" },
  "card.dead.retry": { zh: "在“同步”页重试", en: "retry on Sync" },
  "card.dead.none": { zh: "无", en: "none" },
  "card.exc": { zh: "待处理异常", en: "Open exceptions" },
  "card.exc.oldest": { zh: (d) => `最早 ${d} 前上报 · 点击处理`, en: (d) => `oldest raised ${d} ago · open Exceptions` },
  "card.exc.none": { zh: "无", en: "none" },
  "card.store": { zh: "存储", en: "Store" },
  "card.store.full": { zh: "已满", en: "full" },
  "card.store.of": { zh: (mb) => `上限 ${mb} MB（store.max_size_mb）`, en: (mb) => `of ${mb} MB (store.max_size_mb)` },
  "store.title": { zh: "存储已满", en: "Store full" },
  "store.nothing": { zh: "无法保存任何新数据：登录、扫描和打印都会失败。", en: "Nothing new is saved: logins, scans and prints fail." },
  "store.disk": { zh: "数据库所在的磁盘已满。", en: "The disk holding the database is full." },
  "store.limit": { zh: (a, b) => `数据库文件已达到 store.max_size_mb 上限（${a} / ${b} MB）。`, en: (a, b) => `The database file reached store.max_size_mb (${a} of ${b} MB).` },
  "store.todo.disk": { zh: "请清理该磁盘（旧日志、备份等），下一次保存成功后 floorgate 自动恢复。", en: "Free space on that disk (old logs, backups): floorgate recovers by itself at the next save." },
  "store.todo.limit": { zh: "请在配置中调大 store.max_size_mb 并重启 floorgate，或恢复上传链路，以便保留策略清理已确认上传的事件。", en: "Raise store.max_size_mb in the configuration and restart floorgate, or bring the upstream link back so retention can prune the events it acknowledged." },
  incarnation: { zh: (id, seq) => `实例 ${id}，自序号 ${seq}`, en: (id, seq) => `incarnation ${id} since seq ${seq}` },
  restored: { zh: (from, seq) => `（从 ${from} 恢复，序号 ${seq}）`, en: (from, seq) => ` (restored from ${from} at seq ${seq})` },
  printers: { zh: "打印机", en: "Printers" },
  scanners: { zh: "扫描枪", en: "Scanners" },
  "th.printer": { zh: "打印机", en: "Printer" },
  "th.state": { zh: "状态", en: "State" },
  "th.stations": { zh: "工位", en: "Stations" },
  "th.checked": { zh: "检查时间", en: "Checked" },
  "th.scanner": { zh: "扫描枪", en: "Scanner" },
  "th.station": { zh: "工位", en: "Station" },
  "th.lastscan": { zh: "最近扫描", en: "Last scan" },
  "printers.none": { zh: "未配置打印机。", en: "No printers configured." },
  "printers.orphan": { zh: "无打印机", en: "no printer" },
  "scanners.none": { zh: "未配置有线扫描枪。", en: "No wired scanners configured." },
  "tls.on": { zh: (fp) => "TLS证书 SHA-256 指纹：" + fp, en: (fp) => "TLS certificate SHA-256: " + fp },
  "tls.off": { zh: "未启用TLS：明文HTTP", en: "TLS is off: plain HTTP" },
  unknown: { zh: "未知", en: "unknown" },

  // states the server names; shown translated, unknown ones as sent
  "st.ready": { zh: "就绪", en: "ready" },
  "st.offline": { zh: "离线", en: "offline" },
  "st.paper out": { zh: "缺纸", en: "paper out" },
  "st.head open": { zh: "打印头未合上", en: "head open" },
  "st.ribbon out": { zh: "碳带用完", en: "ribbon out" },
  "st.paused": { zh: "已暂停", en: "paused" },
  "st.connected": { zh: "已连接", en: "connected" },
  "st.connecting": { zh: "连接中", en: "connecting" },
  "st.initialising": { zh: "初始化中", en: "initialising" },
  "st.error": { zh: "错误", en: "error" },
  "st.stopped": { zh: "已停止", en: "stopped" },
  "st.disconnected": { zh: "已断开", en: "disconnected" },
  "st.disabled": { zh: "已停用", en: "disabled" },
  "st.held": { zh: "暂停", en: "held" },
  "st.pending": { zh: "待分配", en: "pending" },
  "st.assigned": { zh: "已分配", en: "assigned" },
  "st.done": { zh: "已完成", en: "done" },
  "st.cancelled": { zh: "已取消", en: "cancelled" },
  "st.queued": { zh: "排队中", en: "queued" },
  "st.printing": { zh: "打印中", en: "printing" },
  "st.printed": { zh: "已打印", en: "printed" },
  "st.failed": { zh: "失败", en: "failed" },

  // times
  "ago.s": { zh: (n) => `${n} 秒前`, en: (n) => `${n} s ago` },
  "ago.min": { zh: (n) => `${n} 分钟前`, en: (n) => `${n} min ago` },
  "ago.h": { zh: (n) => `${n} 小时前`, en: (n) => `${n} h ago` },
  "dur.s": { zh: (n) => `${n} 秒`, en: (n) => `${n} s` },
  "dur.min": { zh: (n) => `${n} 分钟`, en: (n) => `${n} min` },
  "dur.h": { zh: (n) => `${n} 小时`, en: (n) => `${n} h` },

  // SLA board
  sla: { zh: "时效看板", en: "SLA board" },
  "sla.note": { zh: "即将超时的订单，在超时之前提醒", en: "orders about to miss a standard, before they are late" },
  "sla.none": { zh: "没有订单面临超时。", en: "No order is at risk." },
  "th.rule": { zh: "标准", en: "Standard" },
  "th.state": { zh: "状态", en: "State" },
  "th.due": { zh: "期限", en: "Due" },
  "th.holder": { zh: "处理人", en: "Holder" },
  "th.node": { zh: "当前节点", en: "Node" },
  "rule.outbound": { zh: "打包后30分钟内出库", en: "outbound ≤ 30 min after packing" },
  "rule.release_to_ship": { zh: "放行后2小时内出库", en: "shipped ≤ 2 h after release" },
  "rule.cutoff": { zh: "承运商截单时间", en: "carrier cut-off" },
  "rule.short_pick": { zh: "缺货1小时内处理", en: "short pick, 1 h to resolve" },
  "sla.at_risk": { zh: "即将超时", en: "at risk" },
  "sla.breached": { zh: "已超时", en: "breached" },
  "sla.left": { zh: (d) => `剩余 ${d}`, en: (d) => `${d} left` },
  "sla.late": { zh: (d) => `超时 ${d}`, en: (d) => `${d} late` },
  "node.released": { zh: "已放行", en: "released" },
  "node.pick_started": { zh: "拣货中", en: "picking" },
  "node.picked": { zh: "已拣货", en: "picked" },
  "node.pack_started": { zh: "打包中", en: "packing" },
  "node.packed": { zh: "已打包", en: "packed" },
  "node.label_printed": { zh: "面单已打印", en: "label printed" },

  // presale shelf
  parcels: { zh: "预售暂存", en: "Presale shelf" },
  "parcels.note": { zh: "提前打包，待ERP放行后打印面单", en: "packed ahead, held until the ERP releases the order; then the waybill prints" },
  "th.order": { zh: "订单", en: "Order" },
  "th.status": { zh: "状态", en: "Status" },
  "th.packer": { zh: "打包员", en: "Packer" },
  "th.packed": { zh: "打包", en: "Packed" },
  "th.released": { zh: "放行", en: "Released" },
  "parcel.cancelled": { zh: "已取消，请下架", en: "cancelled — take it off the shelf" },
  "parcel.released": { zh: "已放行", en: "released" },
  "parcel.ship": { zh: " — 请发货", en: " — ship it" },
  "parcel.held": { zh: "已打包，暂存", en: "packed, held" },

  // waves
  waves: { zh: "波次", en: "Waves" },
  "waves.done": { zh: "已完成", en: "Completed" },
  "th.wave": { zh: "波次", en: "Wave" },
  "th.priority": { zh: "优先级", en: "Priority" },
  "th.progress": { zh: "进度", en: "Progress" },
  "th.cutoff": { zh: "截单", en: "Cut-off" },
  "th.release": { zh: "下发", en: "Release" },
  "th.done": { zh: "完成", en: "Done" },
  "th.cancelled": { zh: "取消", en: "Cancelled" },
  "th.completed": { zh: "完成时间", en: "Completed" },
  "cutoff.past": { zh: (d) => `已过 ${d}`, en: (d) => `${d} past` },
  "cutoff.left": { zh: (d) => `剩余 ${d}`, en: (d) => `${d} left` },
  "wave.held": { zh: "暂停", en: "held" },
  "wave.released": { zh: "已下发", en: "released" },
  "wave.at": { zh: (c) => `定时 ${c}`, en: (c) => `at ${c}` },
  "wave.byhand": { zh: "手动", en: "by hand" },
  "wave.by": { zh: (who) => `由 ${who}`, en: (who) => `by ${who}` },
  "wave.release": { zh: "下发", en: "Release" },
  "wave.open": { zh: (n) => `${n} 未完成`, en: (n) => `${n} open` },
  "wave.cancelled": { zh: (n) => `，${n} 已取消`, en: (n) => `, ${n} cancelled` },
  "waves.none": { zh: "暂无进行中的波次。", en: "No open waves." },
  "wave.late": { zh: "超时", en: "late" },
  "wave.released.flash": { zh: (id) => `波次 ${id} 已下发给拣货员`, en: (id) => `Wave ${id} released to the pickers` },

  // carts
  carts: { zh: "拣货车", en: "Carts" },
  comma: { zh: "，", en: ", " },
  "carts.held": { zh: "个周转箱占用", en: "totes holding orders" },
  "carts.packing": { zh: "个待打包", en: "at packing" },
  "th.cart": { zh: "拣货车", en: "Cart" },
  "th.picker": { zh: "拣货员", en: "Picker" },
  "th.where": { zh: "位置", en: "Where" },
  "th.running": { zh: "用时", en: "Running" },
  "cart.bound": { zh: "绑定周转箱中", en: "totes bound" },
  "cart.picked": { zh: "订单已拣", en: "orders picked" },
  "cart.binding": { zh: "绑定中", en: "binding" },
  "cart.between": { zh: "途中", en: "between stops" },
  "cart.since": { zh: "开始于", en: "since" },
  "carts.none": { zh: "暂无拣货车作业。", en: "No cart is being picked." },

  // walls
  walls: { zh: "播种墙", en: "Walls" },
  "walls.note": { zh: "在播种墙旁的屏幕上打开它的页面", en: "each wall's screen: open it on the display at the wall" },
  "th.wall": { zh: "播种墙", en: "Wall" },
  "th.slots": { zh: "格口", en: "Slots" },
  "th.screen": { zh: "屏幕", en: "Screen" },
  "wall.open": { zh: "打开播种墙屏幕", en: "open the wall screen" },
  "walls.none": { zh: "暂无播种墙。", en: "No put walls." },

  // devices
  enrol: { zh: "添加PDA", en: "Enrol a PDA" },
  "th.device": { zh: "设备", en: "Device" },
  "th.kind": { zh: "类型", en: "Kind" },
  "th.model": { zh: "型号", en: "Model" },
  "th.operator": { zh: "操作员", en: "Operator" },
  "th.task": { zh: "任务", en: "Task" },
  "th.lastactivity": { zh: "最近活动", en: "Last activity" },
  "dev.enable": { zh: "启用", en: "Enable" },
  "dev.disable": { zh: "停用", en: "Disable" },
  "dev.station": { zh: (st) => `工位 ${st}`, en: (st) => `station ${st}` },
  "devices.none": { zh: "暂无设备。", en: "No devices yet." },
  "dev.confirm": { zh: (id) => `停用 ${id}？该设备上的拣货员将被登出，重新启用前无法连接。`, en: (id) => `Disable ${id}? Its picker is logged out and it cannot connect until enabled.` },
  "dev.enabled": { zh: (id) => `${id}：已启用`, en: (id) => `${id}: enabled` },
  "dev.disabled": { zh: (id) => `${id}：已停用`, en: (id) => `${id}: disabled` },
  "pair.qr": { zh: "配对二维码", en: "pairing QR code" },
  "pair.code": { zh: "配对码", en: "Pairing code" },
  "pair.open": { zh: (url) => `在PDA上打开 <b>${url}</b><br>或在其配对页面输入配对码。`, en: (url) => `On the PDA open <b>${url}</b><br>or type the code on its pairing screen.` },
  "pair.valid": { zh: (tm) => `仅可使用一次，有效期至 ${tm}。`, en: (tm) => `Valid once, until ${tm}.` },
  "pair.fp": { zh: (fp) => `PDA上显示的证书指纹必须是 ${fp}`, en: (fp) => `The PDA must show certificate fingerprint ${fp}` },

  // tasks
  "tasks.h": { zh: "进行中的任务", en: "Open tasks" },
  "th.lines": { zh: "行数", en: "Lines" },
  "th.picked": { zh: "已拣", en: "Picked" },
  "task.reassign": { zh: "改派给…", en: "Reassign to…" },
  "task.wave": { zh: (w) => `波次 ${w}`, en: (w) => `wave ${w}` },
  "tasks.none": { zh: "暂无进行中的任务。", en: "No open tasks." },
  "task.reassigned": { zh: (task, dev) => `${task} 已改派给 ${dev}`, en: (task, dev) => `${task} reassigned to ${dev}` },

  // print queue
  "th.job": { zh: "打印任务", en: "Job" },
  "th.reason": { zh: "原因", en: "Reason" },
  preview: { zh: "预览", en: "preview" },
  reprint: { zh: "重打", en: "Reprint" },
  "jobs.none": { zh: "暂无打印任务。", en: "No print jobs yet." },
  "reprint.why": { zh: "重打原因？", en: "Why reprint?" },
  "reprint.default": { zh: "面单损坏", en: "damaged label" },
  "reprint.queued": { zh: "已加入重打", en: "Reprint queued" },

  // sync
  "sync.h": { zh: "上传同步到ERP", en: "Sync to the ERP" },
  dead: { zh: "死信", en: "Dead letters" },
  "sync.broker": { zh: "服务器", en: "Broker" },
  "sync.depth": { zh: "待发", en: "Outbox depth" },
  "sync.events": { zh: "个事件", en: "events" },
  "sync.oldest": { zh: "最久未发", en: "Oldest unsent" },
  "sync.puback": { zh: "最近确认（PUBACK）", en: "Last PUBACK" },
  "sync.rate": { zh: (n) => `每秒 ${n} 个事件`, en: (n) => `${n} events/s` },
  "sync.leaf": { zh: "中心集群链路", en: "Link to the central cluster" },
  "sync.leaf.down": { zh: (a) => `${a}起中断，现场照常作业，事件存于本站`, en: (a) => `down since ${a}; the floor keeps working, events kept on site` },
  "sync.central": { zh: "待中心确认", en: "Awaiting the central stream" },
  "sync.central.sub": { zh: (n, k) => `已由中心确认 ${n} 个 · 推动 ${k} 次`, en: (n, k) => `${n} confirmed by the central stream · ${k} nudges` },
  "th.seq": { zh: "序号", en: "Seq" },
  "th.type": { zh: "类型", en: "Type" },
  "th.at": { zh: "时间", en: "At" },
  "dead.asked": { zh: "已请求重试", en: "retry asked" },
  "dead.retry": { zh: "重试", en: "Retry" },
  "dead.none": { zh: "无死信。", en: "No dead letters." },
  "dead.sent": { zh: "将在下次连接时重新发送", en: "Sent again on the next connection" },

  // exceptions
  "exc.window": { zh: "今天", en: "today" },
  "exc.short": { zh: "缺货", en: "Short picks" },
  "exc.intercepts": { zh: "拦截", en: "Intercepts" },
  "exc.labels": { zh: "面单打印失败", en: "Labels not printed" },
  "exc.locations": { zh: "按库位统计的错扫", en: "Wrong scans by location" },
  "exc.items": { zh: "缺货、拦截、面单", en: "Short picks, intercepts, labels" },
  "th.location": { zh: "库位", en: "Location" },
  "th.wrong": { zh: "错扫次数", en: "Wrong scans" },
  "th.bycode": { zh: "按原因", en: "By code" },
  "th.when": { zh: "时间", en: "When" },
  "th.what": { zh: "事件", en: "What" },
  "th.detail": { zh: "详情", en: "Detail" },
  "exc.noline": { zh: "（无任务行）", en: "(no line)" },
  "exc.label": { zh: "面单未打印", en: "label not printed" },
  "exc.shortpick": { zh: "缺货", en: "short pick" },
  "exc.intercept": { zh: "拦截", en: "intercept" },
  "exc.none": { zh: "今天暂无。", en: "None today." },
  "exc.cases": { zh: "待处理异常", en: "Exceptions to resolve" },
  "exc.cases.note": { zh: "拣货员和打包员上报的异常，由主管逐一处理", en: "raised by pickers and packers; a supervisor resolves each" },
  "exc.open": { zh: "未处理", en: "Open" },
  "exc.waiting": { zh: "未送达上游", en: "Not yet upstream" },
  "exc.toup": { zh: "上报到上游 P90", en: "To upstream, p90" },
  "exc.tores": { zh: "处理用时 P90", en: "To resolution, p90" },
  "exc.within": { zh: (n, m) => `${m} 件中 ${n} 件在1小时内`, en: (n, m) => `${n} of ${m} within 1 h` },
  "exc.late": { zh: (n) => `${n} 件超过1小时`, en: (n) => `${n} over 1 h` },
  "exc.nocases": { zh: "没有待处理的异常。", en: "No exception to resolve." },
  "exc.upwait": { zh: "等待上游确认", en: "waiting for upstream" },
  "exc.upin": { zh: (d) => `${d} 后送达`, en: (d) => `reached in ${d}` },
  "exc.age": { zh: (d) => `已 ${d}`, en: (d) => `${d} ago` },
  "exc.resolve": { zh: "处理", en: "Resolve" },
  "exc.loc": { zh: "库位", en: "location" },
  "exc.sku": { zh: "替换商品 SKU", en: "substitute SKU" },
  "exc.note": { zh: "备注", en: "note" },
  "exc.resolved.flash": { zh: (id) => `异常 ${id} 已处理`, en: (id) => `Exception ${id} resolved` },
  "exc.resolvedby": { zh: (who, d) => `${who} · 用时 ${d}`, en: (who, d) => `${who} · after ${d}` },
  "exc.raisedev": { zh: "上报异常", en: "exception raised" },
  "exc.resolvedev": { zh: "异常已处理", en: "exception resolved" },
  "th.case": { zh: "编号", en: "Case" },
  "th.reason": { zh: "原因", en: "Reason" },
  "th.stage": { zh: "环节", en: "Stage" },
  "th.item": { zh: "商品 × 数量", en: "Item × qty" },
  "th.raisedby": { zh: "上报人", en: "Raised by" },
  "th.upstream": { zh: "上游", en: "Upstream" },
  "th.resolution": { zh: "处理", en: "Resolution" },
  "stage.pick": { zh: "拣货", en: "pick" },
  "stage.pack": { zh: "打包", en: "pack" },
  "act.repick": { zh: "换库位重拣", en: "Re-pick from another location" },
  "act.substitute": { zh: "替换商品", en: "Substitute" },
  "act.cancel_line": { zh: "取消该行", en: "Cancel the line" },
  "act.send_to_erp": { zh: "转交ERP（客服）", en: "Send to the ERP" },

  // KPIs
  "kpi.today": { zh: "今天", en: "Today" },
  "kpi.8h": { zh: "近8小时", en: "Last 8 hours" },
  "kpi.24h": { zh: "近24小时", en: "Last 24 hours" },
  "kpi.bars": { zh: "每人每小时行数", en: "Lines per hour by person" },
  "kpi.trend": { zh: "每小时趋势", en: "Per hour" },
  "kpi.hours": { zh: "逐小时", en: "Hour by hour" },
  "kpi.accuracy": { zh: "拣货准确率", en: "Pick accuracy" },
  "kpi.lineaccuracy": { zh: "一次拣对率", en: "Lines right first time" },
  "kpi.standard": { zh: (v) => `标准 ≥ ${v}`, en: (v) => `standard ≥ ${v}` },
  "kpi.lph": { zh: "每小时行数", en: "Lines per hour" },
  "kpi.lines": { zh: (n) => `${n} 行`, en: (n) => `${n} lines` },
  "kpi.seq": { zh: "先扫库位", en: "Location first" },
  "kpi.seq.sub": { zh: "扫描顺序合规率", en: "sequence compliance" },
  "kpi.band": { zh: "距离 5–10 cm", en: "In 5–10 cm" },
  "kpi.unknown": { zh: (p) => `${p} 未知`, en: (p) => `${p} unknown` },
  "kpi.notmeasurable": { zh: (d) => `无法测距：${d}`, en: (d) => `not measurable: ${d}` },
  "kpi.outbound": { zh: "打包 → 出库", en: "Pack → outbound" },
  "kpi.within30": { zh: (p) => `${p} 在30分钟内`, en: (p) => `${p} within 30 min` },
  "kpi.scans": { zh: "扫描", en: "Scans" },
  "kpi.rejected": { zh: (n) => `${n} 次被拒`, en: (n) => `${n} rejected` },
  "th.person": { zh: "人员", en: "Person" },
  "th.role": { zh: "角色", en: "Role" },
  "th.scans": { zh: "扫描", en: "Scans" },
  "th.lph": { zh: "行/小时", en: "Lines/h" },
  "th.accuracy": { zh: "准确率", en: "Accuracy" },
  "th.seq2": { zh: "先扫库位", en: "Location first" },
  "th.inband": { zh: "距离合规", en: "In band" },
  "th.unknowndist": { zh: "距离未知", en: "Unknown dist." },
  "th.picktime": { zh: "拣货用时", en: "Pick time" },
  "th.p50": { zh: "打包→出库 中位数", en: "Pack→out p50" },
  "th.le30": { zh: "≤ 30 分钟", en: "≤ 30 min" },
  "th.hour": { zh: "小时", en: "Hour" },
  "th.people": { zh: "人数", en: "People" },
  "kpi.nobody": { zh: "此时间段内还没有人作业。", en: "Nobody has worked in this window yet." },
  "kpi.nothing": { zh: "此时间段内暂无数据。", en: "Nothing yet in this window." },
  "kpi.nologin": { zh: "还没有人登录。", en: "No one logged in yet." },
  "kpi.legend": { zh: "— 扫描   — 行", en: "— scans   — lines" },
  "kpi.7d": { zh: "近7天", en: "Last 7 days" },
  "kpi.31d": { zh: "近31天", en: "Last 31 days" },
  "kpi.custom": { zh: "自定义…", en: "Custom…" },
  "kpi.from": { zh: "从", en: "From" },
  "kpi.to": { zh: "到", en: "To" },
  "kpi.apply": { zh: "查看", en: "Show" },
  "kpi.badwindow": { zh: "开始时间须早于结束时间，且相隔不超过31天。", en: "From must be before To, and at most 31 days apart." },
  "kpi.trend.day": { zh: "每日趋势", en: "Per day" },
  "kpi.days": { zh: "逐日", en: "Day by day" },
  "th.day": { zh: "日期", en: "Day" },
  "kpi.person.trend": { zh: "个人趋势", en: "Each person's trend" },
  "kpi.uph": { zh: "每小时件数", en: "Units per hour" },
  "kpi.site": { zh: "全场", en: "site" },
  "kpi.csv": { zh: "下载本时间段CSV", en: "Download this window as CSV" },
  "kpi.csv.site": { zh: "全场汇总", en: "site" },
  "kpi.csv.hours": { zh: "全场逐小时", en: "site by hour" },
  "kpi.csv.days": { zh: "全场逐日", en: "site by day" },
  "kpi.csv.people": { zh: "每人汇总", en: "people" },
  "kpi.csv.people_days": { zh: "每人逐日", en: "people by day" },
  "kpi.csv.waves": { zh: "按波次", en: "by wave" },
  "kpi.csv.variants": { zh: "按订单类型", en: "by order type" },
  // KPIs per order: exception rate, process compliance, waves, variants
  "kpi.excrate": { zh: "订单异常率", en: "Exception rate" },
  "kpi.excrate.def": { zh: "本时间段内发货的订单中，曾有异常（拣货员或打包员上报的异常，或缺货）的订单所占比例，按订单计。标准：不超过1%。",
    en: "Of the orders shipped in this window, the share that had an exception (raised by a picker or packer, or a short pick), per order. Standard: at most 1%." },
  "kpi.compliance": { zh: "流程合规率", en: "Process compliance" },
  "kpi.compliance.def": { zh: "本时间段内发货的订单中，全程按标准流程处理的订单所占比例，按订单计：无异常、无错扫、无5–10 cm以外的扫描、打包后30分钟内出库。标准：不低于98%。",
    en: "Of the orders shipped in this window, the share handled entirely by the standard flow, per order: no exception, no wrong scan, no scan outside 5–10 cm, shipped within 30 min of packing. Standard: at least 98%." },
  "kpi.max": { zh: (v) => `标准 ≤ ${v}`, en: (v) => `standard ≤ ${v}` },
  "kpi.oforders": { zh: (n, m) => `${m} 单中 ${n} 单`, en: (n, m) => `${n} of ${m} orders` },
  "kpi.waves": { zh: "按波次统计订单", en: "Orders by wave" },
  "kpi.variants": { zh: "按订单类型统计", en: "Orders by order type" },
  "kpi.orders.note": { zh: (a, e, c, o) => `本时间段内发货的订单，各自从开始到发货的全过程。未达标的数字标红：拣货准确率 < ${a}，异常率 > ${e}，合规率 < ${c}，出库 P90 > ${o}。`,
    en: (a, e, c, o) => `The orders shipped in this window, each over its whole way from start to shipping. In red, what misses its standard: pick accuracy < ${a}, exception rate > ${e}, compliance < ${c}, outbound p90 > ${o}.` },
  "kpi.nowave": { zh: "（无波次）", en: "(no wave)" },
  "kpi.noorders": { zh: "此时间段内还没有订单发货。", en: "No order shipped in this window yet." },
  "variant.normal": { zh: "普通", en: "Normal" },
  "variant.presale": { zh: "预售", en: "Presale" },
  "variant.crossborder": { zh: "跨境", en: "Cross-border" },
  "variant.peak": { zh: "大促", en: "Peak" },
  "th.variant": { zh: "订单类型", en: "Order type" },
  "th.orders": { zh: "订单", en: "Orders" },
  "th.excrate": { zh: "异常率", en: "Exc. rate" },
  "th.compliance": { zh: "合规率", en: "Compliance" },
  "th.errorrate": { zh: "错扫率", en: "Error rate" },
  "th.node.pick": { zh: "拣货", en: "Pick" },
  "th.node.pack": { zh: "打包", en: "Pack" },
  "th.node.outbound": { zh: "打包 → 出库", en: "Pack → outbound" },
  "th.avg": { zh: "平均", en: "avg" },
  "th.p90": { zh: "P90", en: "p90" },
  "th.count": { zh: "次数", en: "Count" },
  "kpi.reasons": { zh: "按原因统计的异常", en: "Exceptions by reason" },
  "kpi.noreasons": { zh: "此时间段内没有上报异常。", en: "No exception raised in this window." },
  "kpi.resolution": { zh: "处理用时", en: "Time to resolve" },
  "kpi.resolved": { zh: (n, mean, p90) => `已处理 ${n} 件 · 平均 ${mean} · P90 ${p90}`, en: (n, mean, p90) => `${n} resolved · mean ${mean} · p90 ${p90}` },
  "kpi.noresolved": { zh: "此时间段内没有处理完的异常。", en: "None resolved in this window." },

  // labels
  "labels.note": { zh: "最近打印的24张面单，最新在前，与打印机输出一致。", en: "The last 24 labels printed, newest first, as they came out of the printer." },
  "label.alt": { zh: (o) => `面单 ${o}`, en: (o) => `label ${o}` },
  "label.reprint": { zh: "重打", en: "reprint" },
  "label.where": { zh: (st, pr) => `工位 ${st} · 打印机 ${pr}`, en: (st, pr) => `station ${st} · printer ${pr}` },
  "labels.none": { zh: "暂无已打印面单。", en: "No labels printed yet." },

  // audit
  "audit.h": { zh: "审计日志", en: "Audit" },
  "th.who": { zh: "操作人", en: "Who" },
  "th.action": { zh: "操作", en: "Action" },
  "th.target": { zh: "对象", en: "Target" },
  "th.from": { zh: "来源", en: "From" },
  "audit.none": { zh: "暂无管理操作。", en: "No admin actions yet." },

  // API tokens
  "tokens.note": { zh: "供其他程序使用（如WMS或监控），请求时带上 <code>Authorization: Bearer fgt_…</code>。<b>只读</b>令牌可读取全部数据；<b>管理</b>令牌还可以做管理员能做的修改。",
    en: "For other programs, such as a WMS or a monitor: they send <code>Authorization: Bearer fgt_…</code>. A <b>read</b> token reads everything; an <b>admin</b> token can also change what an admin can." },
  "tokens.name": { zh: "名称", en: "Name" },
  "tokens.name.ph": { zh: "wms、监控…", en: "wms, monitor…" },
  "tokens.scope": { zh: "权限", en: "Scope" },
  "scope.read": { zh: "只读", en: "read" },
  "scope.admin": { zh: "管理", en: "admin" },
  "tokens.create": { zh: "创建令牌", en: "Create token" },
  "tokens.new": { zh: "新令牌", en: "New token" },
  "tokens.once": { zh: "请立即复制：仅显示这一次", en: "Copy it now: it is not shown again" },
  "tokens.hash": { zh: "网关只保存哈希值。丢失后请吊销并重新创建。", en: "The gateway keeps only its hash. Lost it? Revoke it and create another." },
  "tokens.copy": { zh: "复制", en: "Copy" },
  "tokens.saved": { zh: "已保存", en: "I have saved it" },
  "tokens.copied": { zh: "已复制", en: "Copied" },
  "tokens.selected": { zh: "已选中，请按 Ctrl+C 复制", en: "Selected: press Ctrl+C to copy" },
  "th.name": { zh: "名称", en: "Name" },
  "th.scope": { zh: "权限", en: "Scope" },
  "th.created": { zh: "创建时间", en: "Created" },
  "th.by": { zh: "创建人", en: "By" },
  "token.revoked": { zh: "已吊销", en: "revoked" },
  "token.active": { zh: "有效", en: "active" },
  "token.confirm": { zh: (n) => `吊销 ${n}？使用它的程序将立即被拒绝。`, en: (n) => `Revoke ${n}? Programs using it are refused at once.` },
  "token.yes": { zh: "确认吊销", en: "Yes, revoke" },
  "token.cancel": { zh: "取消", en: "Cancel" },
  "token.revoke": { zh: "吊销", en: "Revoke" },
  "tokens.none": { zh: "暂无API令牌。", en: "No API tokens yet." },
  "token.created": { zh: (n) => `令牌 ${n} 已创建`, en: (n) => `Token ${n} created` },
  "token.revokedflash": { zh: "令牌已吊销", en: "Token revoked" },
};

const LANG_KEY = "fg.status.lang";
let lang = "en";

// t is entry key of T in the chosen language, given the values it frames.
function t(key, ...a) {
  const e = T[key];
  if (!e) return key;
  const v = e[lang];
  return typeof v === "function" ? v(...a) : v;
}

// stateText is a state the server names, in the chosen language when the
// page knows it, else as sent.
const stateText = (st) => (T["st." + st] ? t("st." + st) : st);

// locale is what dates and times are written in: Chinese ones in Chinese,
// else the browser's own.
const locale = () => (lang === "zh" ? "zh-CN" : undefined);

function savedLang() {
  try { return localStorage.getItem(LANG_KEY); } catch (_) { return null; }
}

// setLang writes the static texts in l and draws what is on screen again.
function setLang(l, keep) {
  lang = l === "zh" ? "zh" : "en";
  if (keep) try { localStorage.setItem(LANG_KEY, lang); } catch (_) { /* this tab only */ }
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t(e.dataset.t)));
  document.querySelectorAll("[data-t-html]").forEach((e) => (e.innerHTML = t(e.dataset.tHtml)));
  document.querySelectorAll("[data-t-title]").forEach((e) => (e.title = t(e.dataset.tTitle)));
  document.querySelectorAll("[data-t-placeholder]").forEach((e) => (e.placeholder = t(e.dataset.tPlaceholder)));
  document.querySelectorAll("button[data-lang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang)));
  if (state.me) {
    $("#who-role").textContent = t("role", state.me.role);
    state.labelsKey = "";
    renderStatus();
    if (state.view === "overview") { renderWaves(); renderCarts(); renderSLA(); }
    load(state.view);
  }
}

// esc makes any text safe to put in HTML.
function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const pct = (v, digits = 1) => (v === null || v === undefined ? "—" : (v * 100).toFixed(digits) + "%");
const num = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
function ago(at) {
  if (!at || at.startsWith("0001")) return "—";
  const s = Math.max(0, (Date.now() - Date.parse(at)) / 1000);
  if (s < 60) return t("ago.s", Math.round(s));
  if (s < 3600) return t("ago.min", Math.round(s / 60));
  return t("ago.h", Math.round(s / 3600));
}
function dur(s) {
  if (!s) return "—";
  if (s < 90) return t("dur.s", Math.round(s));
  if (s < 5400) return t("dur.min", (s / 60).toFixed(1));
  return t("dur.h", (s / 3600).toFixed(1));
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
  let r;
  try {
    r = await fetch(path, opts);
  } catch (err) {
    throw new Error(t("err.network", err.message));
  }
  if (r.status === 401 && path !== "/api/v1/session") {
    showSignIn();
    throw new Error("signed out");
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    if (r.ok) throw new Error(t("err.reply"));
  }
  if (!r.ok) throw new Error((data && data.error) || t("err.http", r.status, r.statusText));
  return data;
}

// failed shows an error in the flash: the server's text, framed by the page
// (frame: err.load when a view could not be read, err.action when a change
// was not made).
function failed(frame, err) {
  if (err.message !== "signed out") flash(t(frame, err.message), true);
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
    $("#signin-error").textContent = t("err.signin", err.message);
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
  $("#who-role").textContent = t("role", session.operator.role);
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
  (loaders[view] || loadOverview)().catch((err) => failed("err.load", err));
}

// ---- overview ----
function stat(label, value, sub, cls, id, title) {
  return `<div class="stat ${cls || ""}" ${id ? `id="${id}"` : ""}${title ? ` title="${esc(title)}"` : ""}><div class="label">${label}</div><div class="value">${value}</div><div class="sub">${sub || ""}</div></div>`;
}

// notMeasurable names the devices of a KPI report that cannot measure how
// far they scan from (hardware scanners): their reads are neither in nor
// out of the band, and not unknown either (distance_by_device).
function notMeasurable(r) {
  const devs = (r.distance_by_device || []).filter((d) => !d.measurable).map((d) => d.device);
  return devs.length ? `<br><span class="not-measurable">${esc(t("kpi.notmeasurable", devs.join(", ")))}</span>` : "";
}

// tasksStat shows where the open tasks are; amber when work waits while a
// picker stands idle, or a task sits on a device that is away.
function tasksStat(tk) {
  const waiting = tk.waiting || 0, idle = tk.idle_pickers || 0, absent = tk.held_by_absent || 0;
  const notes = [esc(t("card.tasks.busy", tk.in_progress || 0))];
  if (absent) notes.push(esc(t("card.tasks.away", absent)));
  if (waiting && idle) notes.push(esc(t("card.tasks.idle", idle)));
  return stat(t("card.tasks"), waiting, notes.join("<br>"), (waiting && idle) || absent ? "warn" : "", "card-tasks");
}

// printersStat is red while a printer is in a fault or a pack station in
// use (or configured) has no printer at all: its waybills cannot print.
function printersStat(n, faults, orphans) {
  const notes = orphans.map((x) => esc(t("card.printers.orphan", x.station) + (x.held_jobs ? t("card.printers.held", x.held_jobs) : "")));
  if (faults) notes.unshift(esc(t("card.printers.faults", faults)));
  return stat(t("card.printers"), n, notes.length ? notes.join("<br>") : t("card.printers.ok"), notes.length ? "bad" : "ok", "card-printers");
}

function printerBadge(st) {
  return `<span class="badge ${st === "ready" ? "ok" : st ? "bad" : ""}">${esc(st ? stateText(st) : t("unknown"))}</span>`;
}

const mib = (b) => (b ? (b / 1048576).toFixed(b < 10485760 ? 1 : 0) : "0");

// storeAlert says, across the overview, that nothing new can be saved and
// what frees the store; empty while it has room.
function storeAlert(st) {
  if (!st.full) return "";
  const disk = st.reason === "disk";
  const what = disk ? t("store.disk") : t("store.limit", mib(st.bytes), mib(st.limit_bytes));
  const todo = disk ? t("store.todo.disk") : t("store.todo.limit");
  const sep = lang === "zh" ? "" : " ";
  return `<div class="store-full" id="store-full" role="alert">` +
    `<strong>${esc(t("store.title"))}</strong> <span class="small">${esc(ago(st.since))}</span>` +
    `<p>${esc([t("store.nothing"), what, todo].join(sep))}</p></div>`;
}

// excStat is the Overview's card of the exception cases no supervisor has
// resolved: amber while any is open, red once the oldest is over the hour
// the standard gives (an exception reaches customer service within 1 h).
function excStat(e) {
  const open = Object.values(e.open || {}).reduce((a, b) => a + b, 0);
  const age = e.oldest_open_s || 0;
  const sub = open ? `<a href="#exceptions">${esc(t("card.exc.oldest", dur(Math.max(age, 1))))}</a>` : t("card.exc.none");
  return stat(t("card.exc"), open, sub, !open ? "ok" : age > 3600 ? "bad" : "warn", "card-exc");
}

function renderStatus() {
  const s = state.status;
  if (!s) return;
  const st = s.store || {};
  $("#site-name").textContent = `${s.site} · ${s.gateway}`;
  // The incarnation prefixes every event id; a restore starts a new one.
  const inc = s.incarnation || {};
  $("#site-name").title = inc.id ? t("incarnation", inc.id, inc.first_seq) +
    (inc.restored_from ? t("restored", inc.restored_from, inc.restored_seq) : "") : "";
  const faults = (s.printers || []).filter((p) => p.state !== "ready").length;
  const orphans = s.stations_without_printer || [];
  const scanErr = (s.scanners || []).filter((x) => x.status !== "connected").length;
  // A leaf gateway's own broker is always at hand: its upstream is the
  // link to the central cluster.
  const up = s.leaf ? s.leaf.connected : s.upstream && s.upstream.connected;
  const upSub = s.leaf ? (s.leaf.connected ? esc(s.leaf.remote || "") : esc(t("sync.leaf.down", ago(s.leaf.since)))) :
    up ? esc(s.upstream.broker || "") : esc(s.upstream.last_error || t("card.upstream.keeps"));
  const c = s.counts || {};
  $("#overview-cards").innerHTML = storeAlert(st) +
    stat(t("card.pdas"), (s.connected_devices || []).length, esc(t("card.pdas.sub", c.sessions || 0)), "ok", "card-pdas") +
    tasksStat(s.tasks || {}) +
    printersStat((s.printers || []).length, faults, orphans) +
    stat(t("card.scanners"), (s.scanners || []).length, scanErr ? t("card.scanners.down", scanErr) : t("card.scanners.ok"), scanErr ? "warn" : "ok", "card-scanners") +
    stat(t("card.upstream"), up ? t("connected") : t("offline"), upSub, up ? "ok" : "warn", "card-upstream") +
    stat(t("card.outbox"), s.outbox.depth, s.outbox.depth ? esc(t("card.outbox.oldest", dur(s.oldest_unsent_s))) : t("card.outbox.none"), s.oldest_unsent_s > 300 ? "warn" : "ok", "card-outbox") +
    stat(t("card.dead"), s.outbox.dead_letters, s.outbox.dead_letters ? t("card.dead.retry") : t("card.dead.none"), s.outbox.dead_letters ? "bad" : "ok", "card-dead") +
    excStat(s.exceptions || {}) +
    stat(t("card.store"), st.full ? t("card.store.full") : mib(st.bytes) + " MB", esc(t("card.store.of", mib(st.limit_bytes))), st.full ? "bad" : "ok", "card-store");
  $("#overview-printers").innerHTML = ((s.printers || []).length
    ? `<tr><th>${t("th.printer")}</th><th>${t("th.state")}</th><th>${t("th.stations")}</th><th>${t("th.checked")}</th></tr>` +
      s.printers.map((p) => `<tr data-printer="${esc(p.id)}"><td>${esc(p.id)}</td><td class="state">${printerBadge(p.state)} <span class="muted small">${esc(p.detail || "")}</span></td><td>${esc((p.stations || []).join(", "))}</td><td class="muted">${ago(p.checked)}</td></tr>`).join("")
    : `<tr><td class="muted">${t("printers.none")}</td></tr>`) +
    orphans.map((x) => `<tr data-station="${esc(x.station)}"><td>—</td><td class="state"><span class="badge bad">${t("printers.orphan")}</span> <span class="muted small">${esc(x.reason)}</span></td><td>${esc(x.station)}</td><td></td></tr>`).join("");
  $("#tls-fp").textContent = s.tls_fingerprint ? t("tls.on", s.tls_fingerprint) : t("tls.off");
  $("#overview-scanners").innerHTML = (s.scanners || []).length
    ? `<tr><th>${t("th.scanner")}</th><th>${t("th.station")}</th><th>${t("th.state")}</th><th>${t("th.lastscan")}</th></tr>` +
      s.scanners.map((x) => `<tr><td>${esc(x.name)}<div class="muted small">${esc(x.model)}</div></td><td>${esc(x.station)} ${x.operator ? `<span class="muted">(${esc(x.operator)})</span>` : ""}</td><td><span class="badge ${x.status === "connected" ? "ok" : x.status === "error" ? "bad" : "warn"}">${esc(stateText(x.status))}</span> <span class="muted small">${esc(x.reason || "")}</span></td><td class="muted">${ago(x.last_scan)}</td></tr>`).join("")
    : `<tr><td class="muted">${t("scanners.none")}</td></tr>`;
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
    ? `<tr><th>${t("th.order")}</th><th>${t("th.status")}</th><th>${t("th.station")}</th><th>${t("th.packer")}</th><th>${t("th.packed")}</th><th>${t("th.released")}</th></tr>` +
      list.map((p) => {
        const released = isSet(p.released);
        const late = released && (Date.now() - Date.parse(p.released)) / 1000 > 1800;
        const badge = p.cancelled
          ? `<span class="badge bad">${t("parcel.cancelled")}</span>`
          : released
          ? `<span class="badge ${late ? "warn" : "ok"}">${t("parcel.released")}${late ? t("parcel.ship") : ""}</span>`
          : `<span class="badge">${t("parcel.held")}</span>`;
        return `<tr data-order="${esc(p.order)}"><td class="mono">${esc(p.order)}</td><td>${badge}</td><td>${esc(p.station)}</td><td>${esc(p.packer)}</td><td class="muted">${ago(p.packed)}</td><td class="muted">${released ? ago(p.released) : "—"}</td></tr>`;
      }).join("")
    : "";
}

async function loadOverview() {
  if (!state.status) state.status = await api("GET", "/api/v1/status");
  renderStatus();
  await Promise.all([loadWaves(), loadCarts(), loadWalls(), loadSLA()]);
}

// ---- the SLA board ----
// Orders at risk of missing a standard, and past it, most urgent first, as
// the gateway judges them on its own clock: the time left (or late) is
// counted from the board's now, not the browser's.
async function loadSLA() {
  state.sla = await api("GET", "/api/v1/sla");
  renderSLA();
}

function renderSLA() {
  const b = state.sla;
  if (!b) return;
  const now = Date.parse(b.now);
  $("#sla-table").innerHTML = b.orders.length
    ? `<tr><th>${t("th.order")}</th><th>${t("th.rule")}</th><th>${t("th.state")}</th><th>${t("th.due")}</th><th>${t("th.holder")}</th><th>${t("th.node")}</th></tr>` +
      b.orders.map((o) => {
        const left = (Date.parse(o.due) - now) / 1000;
        const cls = o.state === "breached" ? "bad" : "warn";
        const when = left > 0 ? t("sla.left", dur(left)) : t("sla.late", dur(Math.max(-left, 1)));
        return `<tr data-order="${esc(o.order)}" data-rule="${esc(o.rule)}" data-state="${esc(o.state)}"><td class="mono">${esc(o.order)}</td>` +
          `<td>${esc(T["rule." + o.rule] ? t("rule." + o.rule) : o.rule)}</td><td><span class="badge ${cls}">${t("sla." + o.state)}</span></td>` +
          `<td>${esc(clock(o.due))} <span class="muted small">${esc(when)}</span></td><td>${esc(o.holder || "—")}</td>` +
          `<td>${esc(T["node." + o.node] ? t("node." + o.node) : o.node)}</td></tr>`;
      }).join("")
    : `<tr><td class="muted">${t("sla.none")}</td></tr>`;
}

// ---- waves ----
// Held waves wait for a supervisor (or their release time); released ones
// are being picked. The panel is reloaded with the overview on every
// journal event, and redrawn each half minute so the time left stays true.
const canSupervise = () => state.me && (state.me.role === "admin" || state.me.role === "supervisor");
const isSet = (at) => at && !at.startsWith("0001");

// clock shows a time as hours and minutes, with the date when not today.
function clock(at) {
  const d = new Date(at);
  const hm = d.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
  return d.toDateString() === new Date().toDateString() ? hm : `${d.toLocaleDateString(locale())} ${hm}`;
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
  const txt = left <= 0 ? t("cutoff.past", dur(Math.max(-left, 1))) : t("cutoff.left", dur(left));
  return `<td class="cutoff ${cls}">${esc(clock(w.cutoff))} <span class="badge ${cls}">${esc(txt)}</span></td>`;
}

function renderWaves() {
  const all = state.waves || [];
  const open = all.filter((w) => w.status !== "completed");
  const done = all.filter((w) => w.status === "completed");
  $("#waves-table").innerHTML = `<tr><th>${t("th.wave")}</th><th>${t("th.status")}</th><th class=num>${t("th.priority")}</th><th>${t("th.progress")}</th><th>${t("th.cutoff")}</th><th>${t("th.release")}</th><th></th></tr>` +
    (open.map((w) => {
      const closed = w.done + w.cancelled, left = w.tasks - closed;
      const held = w.status === "held";
      const status = held ? `<span class="badge warn">${t("wave.held")}</span>` : `<span class="badge ok">${t("wave.released")}</span>`;
      const release = held
        ? (isSet(w.release_at) ? esc(t("wave.at", clock(w.release_at))) : `<span class="muted">${t("wave.byhand")}</span>`)
        : `${esc(clock(w.released_at))} <span class="muted small">${esc(t("wave.by", w.released_actor || w.released_by))}</span>`;
      const act = held && canSupervise() ? `<button class="primary" data-release="${esc(w.id)}">${t("wave.release")}</button>` : "";
      return `<tr data-wave="${esc(w.id)}" data-status="${esc(w.status)}"><td>${esc(w.id)}</td><td class="state">${status}</td><td class=num>${w.priority || 0}</td>
        <td class="progress"><progress max="${w.tasks}" value="${closed}"></progress> ${closed}/${w.tasks} <span class="muted small">${t("wave.open", left)}${w.cancelled ? t("wave.cancelled", w.cancelled) : ""}</span></td>
        ${cutoffCell(w)}<td class="release">${release}</td><td class="act">${act}</td></tr>`;
    }).join("") || `<tr><td colspan="7" class="muted">${t("waves.none")}</td></tr>`);
  $("#waves-done").hidden = done.length === 0;
  $("#waves-done-count").textContent = done.length;
  $("#waves-done-table").innerHTML = `<tr><th>${t("th.wave")}</th><th class=num>${t("th.done")}</th><th class=num>${t("th.cancelled")}</th><th>${t("th.completed")}</th><th>${t("th.cutoff")}</th></tr>` +
    done.slice(0, 20).map((w) => {
      const late = isSet(w.cutoff) && Date.parse(w.completed_at) > Date.parse(w.cutoff);
      return `<tr data-wave="${esc(w.id)}" data-status="completed"><td>${esc(w.id)}</td><td class=num>${w.done}</td><td class=num>${w.cancelled}</td>
        <td>${esc(clock(w.completed_at))}</td><td>${isSet(w.cutoff) ? esc(clock(w.cutoff)) : "—"} ${late ? `<span class="badge bad">${t("wave.late")}</span>` : ""}</td></tr>`;
    }).join("");
}

// Redrawn each half minute so the time left to a cut-off and a cart's
// running time stay true between journal events.
setInterval(() => {
  if (state.view !== "overview") return;
  if (state.waves) renderWaves();
  if (state.carts) renderCarts();
  // The board moves with the gateway's clock, not only with events.
  loadSLA().catch(() => {});
}, 30000);

$("#waves-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-release]");
  if (!b) return;
  b.disabled = true;
  try {
    const w = await api("POST", `/api/v1/waves/${encodeURIComponent(b.dataset.release)}/release`);
    flash(t("wave.released.flash", w.id));
  } catch (err) {
    failed("err.action", err);
  }
  loadWaves().catch((err) => failed("err.load", err));
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
  $("#carts-table").innerHTML = `<tr><th>${t("th.cart")}</th><th>${t("th.picker")}</th><th>${t("th.progress")}</th><th>${t("th.where")}</th><th>${t("th.running")}</th></tr>` +
    ((v.running || []).map((c) => {
      const binding = c.bound < c.orders;
      const progress = binding
        ? `<progress max="${c.orders}" value="${c.bound}"></progress> ${c.bound}/${c.orders} <span class="small">${t("cart.bound")}</span>`
        : `<progress max="${c.orders}" value="${c.done}"></progress> ${c.done}/${c.orders} <span class="muted small">${t("cart.picked")}</span>`;
      const where = c.location ? esc(c.location) : `<span class="muted">${binding ? t("cart.binding") : t("cart.between")}</span>`;
      const ran = isSet(c.started) ? dur(Math.max(1, (Date.now() - Date.parse(c.started)) / 1000)) : "—";
      return `<tr data-cart="${esc(c.cart)}" data-state="${binding ? "binding" : "picking"}"><td>${esc(c.cart)}</td>
        <td class="picker">${esc(c.operator)} <span class="muted small">${esc(c.device)}</span></td>
        <td class="progress${binding ? " binding" : ""}">${progress}</td><td class="where">${where}</td>
        <td class="running">${esc(ran)} <span class="muted small">${t("cart.since")} ${esc(isSet(c.started) ? clock(c.started) : "—")}</span></td></tr>`;
    }).join("") || `<tr><td colspan="5" class="muted">${t("carts.none")}</td></tr>`);
}

// ---- walls ----
// The put walls of the master data, each with a link to its screen
// (/wall/ID), shown on a display at the wall.
async function loadWalls() {
  const walls = await api("GET", "/api/v1/walls");
  $("#walls-table").innerHTML = `<tr><th>${t("th.wall")}</th><th>${t("th.station")}</th><th class=num>${t("th.slots")}</th><th>${t("th.screen")}</th></tr>` +
    (walls.map((w) => `<tr data-wall="${esc(w.id)}"><td>${esc(w.id)}</td><td>${esc(w.station || "—")}</td><td class=num>${(w.slots || []).length}</td>
      <td><a href="/wall/${encodeURIComponent(w.id)}" target="_blank">${t("wall.open")}</a></td></tr>`).join("") ||
      `<tr><td colspan="4" class="muted">${t("walls.none")}</td></tr>`);
}

// ---- devices ----
async function loadDevices() {
  const ds = await api("GET", "/api/v1/devices");
  const rows = ds.map((d) => {
    let st = d.disabled ? `<span class="badge bad">${t("st.disabled")}</span>` : d.connected ? `<span class="badge ok">${t("st.connected")}</span>` : `<span class="badge">${t("st.offline")}</span>`;
    if (d.state && !d.disabled) st = `<span class="badge ${d.state === "connected" ? "ok" : "bad"}">${esc(stateText(d.state))}</span> <span class="muted small">${esc(d.reason || "")}</span>`;
    const act = isAdmin() && d.kind === "pda"
      ? `<button class="${d.disabled ? "" : "danger"}" data-act="${d.disabled ? "enable" : "disable"}" data-id="${esc(d.id)}">${d.disabled ? t("dev.enable") : t("dev.disable")}</button>` : "";
    const at = d.station ? `<div class="muted small">${esc(t("dev.station", d.station))}</div>` : "";
    return `<tr data-device="${esc(d.id)}"><td>${esc(d.id)}${at}</td><td>${esc(d.kind)}</td><td>${esc(d.model || "")}</td><td>${st}</td><td>${esc(d.operator || "")}</td><td>${esc(d.task || "")}</td><td class="muted">${d.last_scan ? ago(d.last_scan) : d.last_seen ? ago(d.last_seen) : ""}</td><td>${act}</td></tr>`;
  });
  $("#devices-table").innerHTML = `<tr><th>${t("th.device")}</th><th>${t("th.kind")}</th><th>${t("th.model")}</th><th>${t("th.state")}</th><th>${t("th.operator")}</th><th>${t("th.task")}</th><th>${t("th.lastactivity")}</th><th></th></tr>` +
    (rows.join("") || `<tr><td colspan="8" class="muted">${t("devices.none")}</td></tr>`);
}

$("#devices-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-act]");
  if (!b) return;
  if (b.dataset.act === "disable" && !confirm(t("dev.confirm", b.dataset.id))) return;
  try {
    await api("POST", `/api/v1/devices/${encodeURIComponent(b.dataset.id)}/${b.dataset.act}`);
    flash(t(b.dataset.act === "disable" ? "dev.disabled" : "dev.enabled", b.dataset.id));
    loadDevices();
  } catch (err) { failed("err.action", err); }
});

$("#enrol").addEventListener("click", async () => {
  try {
    const r = await api("POST", "/api/v1/devices/enrol");
    const box = $("#enrol-box");
    box.innerHTML = `<img alt="${esc(t("pair.qr"))}" src="${esc(r.qr)}"><div><div class="muted">${t("pair.code")}</div><div class="code" id="pair-code">${esc(r.code)}</div>
      <div>${t("pair.open", esc(r.url))}</div>
      <div class="muted small">${esc(t("pair.valid", new Date(r.expires).toLocaleTimeString(locale())))}</div>
      ${r.fingerprint ? `<div class="muted small">${esc(t("pair.fp", r.fingerprint))}</div>` : ""}</div>`;
    box.hidden = false;
  } catch (err) { failed("err.action", err); }
});

// ---- tasks ----
async function loadTasks() {
  const [tasks, devices] = await Promise.all([api("GET", "/api/v1/tasks"), api("GET", "/api/v1/devices")]);
  const idle = devices.filter((d) => d.operator && !d.task && !d.disabled);
  const opts = idle.map((d) => `<option value="${esc(d.id)}">${esc(d.id)} · ${esc(d.operator)}</option>`).join("");
  $("#tasks-table").innerHTML = `<tr><th>${t("th.task")}</th><th>${t("th.order")}</th><th>${t("th.status")}</th><th>${t("th.operator")}</th><th>${t("th.device")}</th><th class=num>${t("th.lines")}</th><th class=num>${t("th.picked")}</th><th></th></tr>` +
    (tasks.map((k) => {
      const picked = k.lines.reduce((n, l) => n + (l.picked || 0), 0), asked = k.lines.reduce((n, l) => n + l.qty, 0);
      // A held wave's task goes to nobody until the wave is released.
      const act = isAdmin() && opts && k.status !== "held" ? `<select data-task="${esc(k.id)}"><option value="">${t("task.reassign")}</option>${opts}</select>` : "";
      const cls = k.status === "assigned" ? "ok" : k.status === "held" ? "warn" : "";
      return `<tr data-task-id="${esc(k.id)}"><td>${esc(k.id)}${k.wave ? `<div class="muted small">${esc(t("task.wave", k.wave))}</div>` : ""}</td><td>${esc(k.order)}</td><td><span class="badge ${cls}" data-status="${esc(k.status)}">${esc(stateText(k.status))}</span></td><td>${esc(k.operator || "")}</td><td>${esc(k.device || "")}</td><td class=num>${k.lines.length}</td><td class=num>${picked}/${asked}</td><td>${act}</td></tr>`;
    }).join("") || `<tr><td colspan="8" class="muted">${t("tasks.none")}</td></tr>`);
}

$("#tasks-table").addEventListener("change", async (e) => {
  const sel = e.target.closest("select[data-task]");
  if (!sel || !sel.value) return;
  try {
    await api("POST", `/api/v1/tasks/${encodeURIComponent(sel.dataset.task)}/reassign`, { device: sel.value });
    flash(t("task.reassigned", sel.dataset.task, sel.value));
  } catch (err) { failed("err.action", err); }
  loadTasks();
});

// ---- print queue ----
async function loadPrint() {
  const jobs = await api("GET", "/api/v1/printjobs");
  jobs.sort((a, b) => (b.updated || b.created).localeCompare(a.updated || a.created));
  const cls = { printed: "ok", held: "warn", failed: "bad", cancelled: "", queued: "", printing: "warn" };
  $("#print-table").innerHTML = `<tr><th>${t("th.job")}</th><th>${t("th.order")}</th><th>${t("th.station")}</th><th>${t("th.printer")}</th><th>${t("th.status")}</th><th>${t("th.reason")}</th><th></th></tr>` +
    (jobs.map((j) => `<tr data-job="${esc(j.id)}"><td>${esc(j.id)}<div class="muted small">${esc(j.template)}</div></td><td>${esc(j.order || "")}</td><td>${esc(j.station || "")}</td><td>${esc(j.printer || "")}</td>
      <td><span class="badge ${cls[j.status] || ""}" data-status="${esc(j.status)}">${esc(stateText(j.status))}</span></td><td class="muted">${esc(j.reason || j.reprint_reason || "")}</td>
      <td><a href="/api/v1/printjobs/${encodeURIComponent(j.id)}/preview.png" target="_blank">${t("preview")}</a>
      ${isAdmin() ? ` <button data-reprint="${esc(j.id)}">${t("reprint")}</button>` : ""}</td></tr>`).join("") ||
      `<tr><td colspan="7" class="muted">${t("jobs.none")}</td></tr>`);
}

// reprintClicked asks an admin why and queues the reprint of the job whose
// Reprint button was clicked, in the print queue or the Labels view.
async function reprintClicked(e) {
  const b = e.target.closest("button[data-reprint]");
  if (!b) return;
  const reason = prompt(t("reprint.why"), t("reprint.default"));
  if (!reason) return;
  try {
    await api("POST", `/api/v1/printjobs/${encodeURIComponent(b.dataset.reprint)}/reprint`, { reason });
    flash(t("reprint.queued"));
    load(state.view);
  } catch (err) { failed("err.action", err); }
}
$("#print-table").addEventListener("click", reprintClicked);
$("#labels-grid").addEventListener("click", reprintClicked);

// ---- sync ----
function renderSyncCards() {
  const s = state.status;
  if (!s) return;
  const u = s.upstream || {};
  $("#sync-cards").innerHTML =
    stat(t("sync.broker"), u.connected ? t("connected") : t("offline"), esc(u.broker || u.last_error || ""), u.connected ? "ok" : "warn", "sync-broker") +
    stat(t("sync.depth"), s.outbox.depth, t("sync.events"), s.outbox.depth > 1000 ? "warn" : "ok", "sync-depth") +
    stat(t("sync.oldest"), dur(s.oldest_unsent_s), "", s.oldest_unsent_s > 300 ? "warn" : "ok", "sync-oldest") +
    stat(t("sync.puback"), ago(u.last_puback), esc(t("sync.rate", num(u.events_per_s, 1))), "", "sync-puback") +
    stat(t("card.dead"), s.outbox.dead_letters, "", s.outbox.dead_letters ? "bad" : "ok", "sync-dead") +
    leafCards(s.leaf, u.central);
}

// leafCards show a leaf gateway's link to the central cluster and what
// the central stream has yet to confirm; nothing for other gateways.
function leafCards(l, c) {
  if (!l) return "";
  c = c || {};
  return stat(t("sync.leaf"), l.connected ? t("connected") : t("offline"),
    l.connected ? esc(`${l.remote || ""} · ${l.domain}`) : esc(t("sync.leaf.down", ago(l.since))) + (l.last_error ? `<div class="small">${esc(l.last_error)}</div>` : ""),
    l.connected ? "ok" : "warn", "sync-leaf") +
    stat(t("sync.central"), c.awaiting_central || 0, esc(t("sync.central.sub", c.confirmed || 0, c.nudges || 0)) + (c.last_error ? `<div class="small">${esc(c.last_error)}</div>` : ""),
      c.awaiting_central && !l.connected ? "warn" : "ok", "sync-central");
}

async function loadSync() {
  if (!state.status) state.status = await api("GET", "/api/v1/status");
  renderSyncCards();
  const dead = await api("GET", "/api/v1/deadletters");
  $("#dead-table").innerHTML = `<tr><th class=num>${t("th.seq")}</th><th>${t("th.type")}</th><th>${t("th.reason")}</th><th>${t("th.at")}</th><th></th></tr>` +
    (dead.map((d) => `<tr><td class=num>${d.seq}</td><td>${esc(d.type)}</td><td>${esc(d.reason)}</td><td class="muted">${ago(d.at)}</td><td>${d.retry ? t("dead.asked") : isAdmin() ? `<button data-retry="${d.seq}">${t("dead.retry")}</button>` : ""}</td></tr>`).join("") ||
      `<tr><td colspan="5" class="muted">${t("dead.none")}</td></tr>`);
}

$("#dead-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-retry]");
  if (!b) return;
  try {
    await api("POST", `/api/v1/deadletters/${b.dataset.retry}/retry`);
    flash(t("dead.sent"));
    loadSync();
  } catch (err) { failed("err.action", err); }
});

// ---- exceptions ----
// The cases pickers and packers raised, open ones first with a resolve form
// each (re-pick, substitute, cancel the line, send to the ERP), and how fast
// they reached upstream and were resolved against the one-hour standard.
// The view reloads on every journal event: what a supervisor has typed into
// a form is kept across reloads (state.excForm).
async function loadExceptions() {
  const r = await api("GET", "/api/v1/exceptions");
  state.exc = r;
  renderExceptions();
}

const reasonText = (code) => {
  const r = ((state.exc && state.exc.reasons) || state.reasons || []).find((x) => x.code === code);
  return r ? r.text[lang] : code;
};

function renderExceptions() {
  const r = state.exc;
  if (!r) return;
  const s = r.summary, tm = r.timing;
  $("#exc-window").textContent = t("exc.window");
  $("#exc-cards").innerHTML =
    stat(t("exc.open"), tm.open, "", tm.open ? "warn" : "ok", "exc-open") +
    stat(t("exc.short"), s.short_picks, "", s.short_picks ? "warn" : "ok", "exc-short") +
    stat(t("exc.intercepts"), s.intercepts, "", s.intercepts ? "warn" : "ok", "exc-intercepts") +
    stat(t("exc.labels"), s.label_failures, "", s.label_failures ? "bad" : "ok", "exc-labels");
  const up = tm.to_upstream, res = tm.to_resolution;
  $("#exc-timing").innerHTML =
    stat(t("exc.waiting"), tm.waiting_upstream, up.late ? t("exc.late", up.late) : "", up.late ? "bad" : tm.waiting_upstream ? "warn" : "ok", "exc-waiting") +
    stat(t("exc.toup"), up.count ? dur(up.p90_s) : "—", up.count ? t("exc.within", up.within_standard, up.count) : "", up.late ? "bad" : "ok", "exc-toup") +
    stat(t("exc.tores"), res.count ? dur(res.p90_s) : "—", res.count ? t("exc.within", res.within_standard, res.count) : "", res.late ? "warn" : "ok", "exc-tores");
  const now = Date.parse(r.now);
  const form = state.excForm || (state.excForm = {});
  const acts = r.actions || [];
  $("#exc-cases").innerHTML = `<tr><th>${t("th.case")}</th><th>${t("th.when")}</th><th>${t("th.reason")}</th><th>${t("th.stage")}</th><th>${t("th.order")}</th><th>${t("th.item")}</th><th>${t("th.location")}</th><th>${t("th.raisedby")}</th><th>${t("th.upstream")}</th><th>${t("th.resolution")}</th></tr>` +
    (r.cases.map((c) => {
      const open = c.status === "open";
      const upstream = isSet(c.upstream_at) ? t("exc.upin", dur(Math.max((Date.parse(c.upstream_at) - Date.parse(c.raised_at)) / 1000, 1)))
        : `<span class="badge ${now - Date.parse(c.raised_at) > 3600e3 ? "bad" : "warn"}">${t("exc.upwait")}</span>`;
      let resolution;
      if (!open) {
        const z = c.resolution;
        resolution = `<span class="badge ok">${esc(t("act." + z.action))}</span> <span class="muted small">${esc(t("exc.resolvedby", z.by, dur(z.resolve_s)))}${z.task ? " · " + esc(z.task) : ""}${z.location ? " · " + esc(z.location) : ""}${z.sku ? " · " + esc(z.sku) : ""}</span>`;
      } else if (canSupervise()) {
        const f = form[c.id] || {};
        const opts = acts.map((a) => `<option value="${esc(a)}" ${f.action === a ? "selected" : ""}>${esc(t("act." + a))}</option>`).join("");
        resolution = `<span class="resolve" data-case="${esc(c.id)}"><select data-f="action">${opts}</select>
          <input data-f="location" size="8" placeholder="${esc(t("exc.loc"))}" value="${esc(f.location || "")}">
          <input data-f="sku" size="8" placeholder="${esc(t("exc.sku"))}" value="${esc(f.sku || "")}">
          <input data-f="note" size="10" placeholder="${esc(t("exc.note"))}" value="${esc(f.note || "")}">
          <button class="primary" data-resolve="${esc(c.id)}">${t("exc.resolve")}</button></span>`;
      } else {
        resolution = `<span class="badge warn">${t("exc.open")}</span>`;
      }
      return `<tr data-case="${esc(c.id)}" data-status="${esc(c.status)}" data-reason="${esc(c.reason)}"><td class="mono">${esc(c.id)}</td>
        <td>${esc(clock(c.raised_at))} <span class="muted small">${open ? esc(t("exc.age", dur(Math.max((now - Date.parse(c.raised_at)) / 1000, 1)))) : ""}</span></td>
        <td>${esc(reasonText(c.reason))}</td><td>${esc(t("stage." + c.stage))}</td><td>${esc(c.order)}</td>
        <td>${esc(c.sku || "—")} × ${c.qty}</td><td>${esc(c.location || "—")}</td>
        <td>${esc(c.operator || "")} <span class="muted small">${esc(c.device || "")}</span>${c.note ? `<div class="muted small">${esc(c.note)}</div>` : ""}</td>
        <td class="up">${upstream}</td><td class="res">${resolution}</td></tr>`;
    }).join("") || `<tr><td colspan="10" class="muted">${t("exc.nocases")}</td></tr>`);
  $("#exc-locations").innerHTML = `<tr><th>${t("th.location")}</th><th class=num>${t("th.wrong")}</th><th>${t("th.bycode")}</th></tr>` +
    ((s.wrong_scans_by_location || []).map((l) => `<tr><td>${esc(l.location || t("exc.noline"))}</td><td class=num>${l.count}</td><td class="muted small">${Object.entries(l.by_code).map(([k, v]) => `${esc(k)} ${v}`).join(", ")}</td></tr>`).join("") ||
      `<tr><td colspan="3" class="muted">${t("exc.none")}</td></tr>`);
  $("#exc-items").innerHTML = `<tr><th>${t("th.when")}</th><th>${t("th.what")}</th><th>${t("th.order")}</th><th>${t("th.detail")}</th></tr>` +
    (r.items.slice(0, 100).map((x) => {
      const d = x.data;
      let what, detail;
      if (x.type === "label.failed") {
        what = t("exc.label"); detail = d.reason || d.printer || "";
      } else if (x.type === "exception.raised" || x.type === "exception.resolved") {
        what = `${t(x.type === "exception.raised" ? "exc.raisedev" : "exc.resolvedev")}: ${reasonText(d.reason)}`;
        detail = `${d.id} ${d.sku || ""} × ${d.qty} ${d.resolution ? t("act." + d.resolution.action) + " · " + d.resolution.by : d.operator || ""}`;
      } else {
        what = d.kind === "short_pick" ? t("exc.shortpick") : d.kind === "intercept" ? t("exc.intercept") : d.kind;
        detail = `${d.location || ""} ${d.sku || ""} ${d.found ?? ""}/${d.expected ?? ""} ${d.operator || ""}`;
      }
      return `<tr><td class="muted">${new Date(x.time).toLocaleTimeString(locale())}</td><td>${esc(what)}</td><td>${esc(d.order || "")}</td><td class="small">${esc(detail)}</td></tr>`;
    }).join("") || `<tr><td colspan="4" class="muted">${t("exc.none")}</td></tr>`);
}

// What a supervisor types into a case's form survives the view's reloads.
$("#exc-cases").addEventListener("input", (e) => {
  const box = e.target.closest("[data-case]");
  const f = e.target.dataset.f;
  if (!box || !f) return;
  const form = state.excForm || (state.excForm = {});
  (form[box.dataset.case] = form[box.dataset.case] || {})[f] = e.target.value;
});

$("#exc-cases").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-resolve]");
  if (!b) return;
  const box = b.closest(".resolve");
  const val = (f) => box.querySelector(`[data-f="${f}"]`).value.trim();
  const body = { action: val("action") };
  for (const f of ["location", "sku", "note"]) if (val(f)) body[f] = val(f);
  b.disabled = true;
  try {
    const c = await api("POST", `/api/v1/exceptions/${encodeURIComponent(b.dataset.resolve)}/resolve`, body);
    if (state.excForm) delete state.excForm[c.id];
    flash(t("exc.resolved.flash", c.id));
  } catch (err) {
    failed("err.action", err);
  }
  b.disabled = false;
  loadExceptions().catch((err) => failed("err.load", err));
});

// ---- KPIs ----
// The window is the gateway's: rolling windows end at the gateway's now
// (its clock, not the browser's, which may be off), and today is its
// default. Up to 48 hours the charts go by clock hour, from the report's
// hours; beyond, by day in the gateway's time zone, from the days and
// people_days tables of /api/v1/kpi.csv (the tables the page offers for
// download): a month of everyone's hours is tens of megabytes, and each
// day's row has the gateway's own figures over the day's sums, so no rate
// here is an average of rates.
const KPI_WINDOWS = { "8h": 8 * 3600e3, "24h": 24 * 3600e3, "7d": 7 * 86400e3, "31d": 31 * 86400e3 };
const KPI_MAX = 31 * 86400e3;
const KPI_HOURLY = 48 * 3600e3;
const KPI_TABLES = ["site", "hours", "days", "people", "people_days", "waves", "variants"];

$("#kpi-window").addEventListener("change", (e) => {
  state.kpiWindow = e.target.value;
  if (state.kpiWindow === "custom") {
    // Start from the window shown.
    const sh = state.kpi;
    if (sh && !state.kpiCustom) state.kpiCustom = [Date.parse(sh.r.from), Date.parse(sh.r.to)];
    if (state.kpiCustom) {
      $("#kpi-from").value = localInput(state.kpiCustom[0]);
      $("#kpi-to").value = localInput(state.kpiCustom[1]);
    }
  }
  loadKPI().catch((err) => failed("err.load", err));
});
$("#kpi-custom").addEventListener("submit", (e) => {
  e.preventDefault();
  const from = new Date($("#kpi-from").value).getTime(), to = new Date($("#kpi-to").value).getTime();
  const bad = !(from < to) || to - from > KPI_MAX;
  $("#kpi-error").textContent = bad ? t("kpi.badwindow") : "";
  $("#kpi-error").hidden = !bad;
  if (bad) return;
  state.kpiCustom = [from, to];
  loadKPI().catch((err) => failed("err.load", err));
});
$("#kpi-table").addEventListener("click", (e) => {
  const tr = e.target.closest("tr[data-operator]");
  if (tr) selectPerson(tr.dataset.operator);
});
$("#kpi-bars").addEventListener("click", (e) => {
  const bar = e.target.closest("[data-operator]");
  if (bar) selectPerson(bar.dataset.operator);
});
$("#kpi-person").addEventListener("change", (e) => selectPerson(e.target.value));

// localInput is a time as a datetime-local input holds it (the browser's zone).
function localInput(ms) {
  const d = new Date(ms), p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
const isoSecond = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

// kpiNow is the gateway's clock, from the SLA board's now: read once, then
// kept as its distance from the browser's.
async function kpiNow() {
  if (state.kpiSkew === undefined) {
    const b = await api("GET", "/api/v1/sla");
    state.kpiSkew = Date.parse(b.now) - Date.now();
  }
  return Date.now() + state.kpiSkew;
}

// kpiSpan is the chosen window as [from, to] in ms, or null for today so
// far (the gateway's default, in its time zone).
async function kpiSpan() {
  const w = state.kpiWindow;
  $("#kpi-custom").hidden = w !== "custom";
  if (w !== "custom") $("#kpi-error").hidden = true;
  if (w === "custom") return state.kpiCustom || null;
  if (!KPI_WINDOWS[w]) return null;
  const to = Math.floor((await kpiNow()) / 1000) * 1000 + 1000;
  return [to - KPI_WINDOWS[w], to];
}

// kpiCSV reads a table of /api/v1/kpi.csv as objects by column.
async function kpiCSV(table, wq) {
  let r;
  try {
    r = await fetch(`/api/v1/kpi.csv?table=${table}&${wq}`, { credentials: "same-origin" });
  } catch (err) {
    throw new Error(t("err.network", err.message));
  }
  if (r.status === 401) {
    showSignIn();
    throw new Error("signed out");
  }
  const text = await r.text();
  if (!r.ok) {
    let msg = "";
    try { msg = JSON.parse(text).error; } catch (_) { /* not JSON */ }
    throw new Error(msg || t("err.http", r.status, r.statusText));
  }
  const rows = parseCSV(text);
  const head = rows.shift() || [];
  return rows.filter((row) => row.length > 1 || row[0] !== "").map((row) => {
    // A failure after the header is the table's last row.
    if (row[0] === "error") throw new Error(row[1]);
    return Object.fromEntries(head.map((h, i) => [h, row[i] ?? ""]));
  });
}

// parseCSV splits RFC 4180 text (quoted cells may hold commas, quotes and
// line breaks) into rows of cells.
function parseCSV(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') cell += c;
      else if (text[i + 1] === '"') { cell += '"'; i++; }
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
    else if (c !== "\r") cell += c;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// A bucket's figures, the same from the JSON report and from a CSV row.
// Units per hour is the modes' units over the hours logged in, as the
// modes' units_per_hour add up.
function kpiFig(f) {
  const units = f.modes.discrete.units + f.modes.cluster.units + f.modes.batch.units;
  return { scans: f.scans, lines: f.lines, hours: f.hours_logged_in, units, lph: f.lines_per_hour,
    uph: f.hours_logged_in > 0 ? units / f.hours_logged_in : 0, acc: f.pick_accuracy,
    seq: f.sequence_compliance, inband: f.distance.in_band_share };
}
const csvNum = (v) => (v === "" || v === undefined ? null : Number(v));
function csvFig(c) {
  const units = csvNum(c.units_discrete) + csvNum(c.units_cluster) + csvNum(c.units_batch), hours = csvNum(c.hours_logged_in);
  return { scans: csvNum(c.scans), lines: csvNum(c.lines), hours, units, lph: csvNum(c.lines_per_hour),
    uph: hours > 0 ? units / hours : 0, acc: csvNum(c.pick_accuracy), seq: csvNum(c.sequence_compliance),
    inband: csvNum(c.distance_in_band_share) };
}
const kpiWorked = (f) => !!f && (f.scans > 0 || f.lines > 0 || f.hours > 0 || f.units > 0);

// hourBuckets are the report's hours, each with everyone's figures.
function hourBuckets(r) {
  return r.hours.map((h, i) => ({ start: Date.parse(h.start), site: kpiFig(h),
    people: new Map(r.people.map((p) => [p.operator, p.hours[i] ? kpiFig(p.hours[i]) : null])) }));
}

// dayBuckets are the days of the CSV tables, by the gateway's date: a
// day's from is its midnight in the gateway's zone (written with its
// offset), except the first, cut by the window, which is the day before
// the second.
function dayBuckets(days, pdays) {
  const people = new Map(days.map((d) => [d.from, new Map()]));
  pdays.forEach((p) => people.get(p.from)?.set(p.operator, csvFig(p)));
  const dates = days.map((d) => d.from.slice(0, 10));
  if (dates.length > 1) dates[0] = new Date(Date.parse(dates[1] + "T00:00:00Z") - 86400e3).toISOString().slice(0, 10);
  return days.map((d, i) => ({ start: Date.parse(d.from), date: dates[i], site: csvFig(d), people: people.get(d.from) }));
}

// bucketLabel names a bucket: its date for a day, its hour (with the date
// when the window spans days) for an hour.
function bucketLabel(b, long, short) {
  if (b.date) {
    const [y, m, d] = b.date.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale(), { month: short ? "numeric" : "short", day: "numeric", timeZone: "UTC" });
  }
  const s = new Date(b.start), hm = `${s.getHours()}:00`;
  if (short) return hm;
  const span = `${hm}–${(s.getHours() + 1) % 24}:00`;
  return long ? `${s.toLocaleDateString(locale(), { month: "numeric", day: "numeric" })} ${span}` : span;
}

function okCls(ok) { return ok === true ? "ok" : ok === false ? "bad" : ""; }

async function loadKPI() {
  const seq = (state.kpiSeq = (state.kpiSeq || 0) + 1);
  const span = await kpiSpan();
  const hourly = !span || span[1] - span[0] <= KPI_HOURLY;
  const q = span ? `from=${encodeURIComponent(isoSecond(span[0]))}&to=${encodeURIComponent(isoSecond(span[1]))}&` : "";
  // People's hours count the people at work in each hour (the hours table).
  const r = await api("GET", `/api/v1/kpi?${q}people_hours=${hourly}`);
  const wq = `from=${encodeURIComponent(r.from)}&to=${encodeURIComponent(r.to)}`;
  let buckets;
  if (hourly) buckets = hourBuckets(r);
  else {
    const [days, pdays] = await Promise.all([kpiCSV("days", wq), kpiCSV("people_days", wq)]);
    buckets = dayBuckets(days, pdays);
  }
  // The reasons' texts are the gateway's (GET /api/v1/exceptions), read
  // once; without them a reason shows as its code.
  if (!state.reasons && !(state.exc && state.exc.reasons) && Object.keys(r.site.exceptions.by_reason || {}).length) {
    state.reasons = (await api("GET", "/api/v1/exceptions").catch(() => ({}))).reasons;
  }
  if (seq !== state.kpiSeq) return; // a later load draws the page
  state.kpi = { r, buckets, hourly };
  const view = $("#view-kpi");
  view.dataset.from = r.from;
  view.dataset.to = r.to;
  view.dataset.bucket = hourly ? "hour" : "day";
  const at = (v) => new Date(v).toLocaleString(locale(), { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  $("#kpi-range").textContent = `${at(r.from)} – ${at(r.to)}`;
  const s = r.site;
  $("#kpi-cards").innerHTML =
    stat(t("kpi.accuracy"), pct(s.pick_accuracy, 2), esc(t("kpi.standard", "99.8%")), okCls(s.accuracy_ok), "kpi-accuracy") +
    stat(t("kpi.lineaccuracy"), pct(s.line_accuracy, 2), esc(t("kpi.standard", "99.8%")), okCls(s.line_accuracy_ok), "kpi-line-accuracy") +
    stat(t("kpi.excrate"), pct(s.exception_rate, 2), ofOrders(s.orders_with_exception, s.orders, t("kpi.max", stdPct(r.standards.exception_rate_max))),
      okCls(s.exception_rate_ok), "kpi-excrate", t("kpi.excrate.def")) +
    stat(t("kpi.compliance"), pct(s.compliance, 2), ofOrders(s.compliant_orders, s.orders, t("kpi.standard", stdPct(r.standards.compliance_min))),
      okCls(s.compliance_ok), "kpi-compliance", t("kpi.compliance.def")) +
    stat(t("kpi.lph"), num(s.lines_per_hour, 1), esc(t("kpi.lines", s.lines)), "", "kpi-lph") +
    stat(t("kpi.seq"), pct(s.sequence_compliance), t("kpi.seq.sub"), s.sequence_compliance === null ? "" : s.sequence_compliance >= 0.99 ? "ok" : "warn", "kpi-seq") +
    stat(t("kpi.band"), pct(s.distance.in_band_share), esc(t("kpi.unknown", pct(s.distance.unknown_share))) + notMeasurable(r), "", "kpi-band") +
    stat(t("kpi.outbound"), dur(s.pack_to_outbound.p50_s), esc(t("kpi.within30", pct(s.pack_to_outbound.within_standard_share))), s.pack_to_outbound.within_standard_share === null ? "" : s.pack_to_outbound.within_standard_share >= 0.95 ? "ok" : "warn", "kpi-outbound") +
    stat(t("kpi.scans"), s.scans, esc(t("kpi.rejected", s.rejected)), "", "kpi-scans");
  const cols = `<tr><th>${t("th.person")}</th><th>${t("th.role")}</th><th class=num>${t("th.scans")}</th><th class=num>${t("th.lines")}</th><th class=num>${t("th.lph")}</th><th class=num>${t("th.accuracy")}</th><th class=num>${t("th.seq2")}</th><th class=num>${t("th.inband")}</th><th class=num>${t("th.unknowndist")}</th><th class=num>${t("th.picktime")}</th><th class=num>${t("th.p50")}</th><th class=num>${t("th.le30")}</th><th class=num>${t("th.excrate")}</th><th class=num>${t("th.compliance")}</th></tr>`;
  $("#kpi-table").innerHTML = cols + (r.people.map((p) => `<tr data-operator="${esc(p.operator)}"><td>${esc(p.name || p.operator)} <span class="muted small">${esc(p.operator)}</span></td><td>${esc(p.role ? p.role.split(",").map((x) => t("role", x)).join(t("comma")) : "")}</td>
    <td class="num scans">${p.scans}</td><td class="num lines">${p.lines}</td><td class="num lph">${num(p.lines_per_hour, 1)}</td>
    <td class="num accuracy"><span class="badge ${okCls(p.accuracy_ok)}">${pct(p.pick_accuracy, 2)}</span></td><td class="num seq">${pct(p.sequence_compliance)}</td>
    <td class="num inband">${pct(p.distance.in_band_share)}</td><td class="num unknown">${pct(p.distance.unknown_share)}</td><td class="num">${dur(p.stages.pick.mean_s)}</td>
    <td class="num">${dur(p.pack_to_outbound.p50_s)}</td><td class="num">${pct(p.pack_to_outbound.within_standard_share)}</td>
    <td class="num excrate">${judged(pct(p.exception_rate, 2), p.exception_rate_ok)}</td><td class="num compliance">${judged(pct(p.compliance, 2), p.compliance_ok)}</td></tr>`).join("") ||
    `<tr><td colspan="14" class="muted">${t("kpi.nobody")}</td></tr>`);
  const long = buckets.length > 1 && new Date(buckets[0].start).toDateString() !== new Date(buckets[buckets.length - 1].start).toDateString();
  $("#kpi-trend-h").dataset.t = hourly ? "kpi.trend" : "kpi.trend.day";
  $("#kpi-trend-h").textContent = t($("#kpi-trend-h").dataset.t);
  drawTrend($("#kpi-trend"), buckets);
  $("#kpi-hours-h").dataset.t = hourly ? "kpi.hours" : "kpi.days";
  $("#kpi-hours-h").textContent = t($("#kpi-hours-h").dataset.t);
  const worked = buckets.filter((b) => kpiWorked(b.site));
  $("#kpi-hours").innerHTML = `<tr><th>${t(hourly ? "th.hour" : "th.day")}</th><th class=num>${t("th.people")}</th><th class=num>${t("th.scans")}</th><th class=num>${t("th.lines")}</th><th class=num>${t("th.lph")}</th><th class=num>${t("th.accuracy")}</th><th class=num>${t("th.seq2")}</th><th class=num>${t("th.inband")}</th></tr>` +
    (worked.map((b) => {
      const h = b.site, people = [...b.people.values()].filter(kpiWorked).length;
      return `<tr><td>${esc(bucketLabel(b, long))}</td><td class=num>${people}</td><td class=num>${h.scans}</td><td class=num>${h.lines}</td><td class=num>${num(h.lph, 1)}</td><td class=num>${pct(h.acc, 2)}</td><td class=num>${pct(h.seq)}</td><td class=num>${pct(h.inband)}</td></tr>`;
    }).reverse().join("") || `<tr><td colspan="8" class="muted">${t("kpi.nothing")}</td></tr>`);
  renderOrderGroups(r);
  $("#kpi-csv").innerHTML = `${esc(t("kpi.csv"))}: ` +
    KPI_TABLES.map((tb) => `<a href="/api/v1/kpi.csv?table=${tb}&amp;${esc(wq)}" download data-table="${tb}">${esc(t("kpi.csv." + tb))}</a>`).join(" · ");
  const ops = r.people.map((p) => p.operator);
  if (!ops.includes(state.kpiPerson)) state.kpiPerson = (r.people.find((p) => p.hours_logged_in > 0) || r.people[0] || {}).operator;
  $("#kpi-person").innerHTML = r.people.map((p) => `<option value="${esc(p.operator)}">${esc(p.name || p.operator)} (${esc(p.operator)})</option>`).join("");
  renderPerson();
}

// stdPct writes a standard as a percentage: 0.01 as 1%, 0.998 as 99.8%.
const stdPct = (v) => `${+(v * 100).toFixed(2)}%`;

// ofOrders is an order figure's sub-text: how many of the orders, and the
// standard.
function ofOrders(n, orders, standard) {
  return (orders ? esc(t("kpi.oforders", n, orders)) + "<br>" : "") + esc(standard);
}

// judged is a figure judged against its standard: a badge, green when met,
// red when missed; plain when there is nothing to judge.
function judged(text, ok) {
  return ok === true || ok === false ? `<span class="badge ${okCls(ok)}">${text}</span>` : text;
}

// renderOrderGroups draws the orders of the window by wave and by order
// type, each figure that misses its standard in red, and the exceptions
// raised by reason with their time to resolve.
function renderOrderGroups(r) {
  const std = r.standards;
  const note = t("kpi.orders.note", stdPct(std.accuracy_min), stdPct(std.exception_rate_max), stdPct(std.compliance_min), t("dur.min", std.outbound_max_s / 60));
  $("#kpi-waves-note").textContent = note;
  const head = (first) => `<tr><th rowspan="2">${first}</th><th rowspan="2" class=num>${t("th.orders")}</th><th rowspan="2" class=num>${t("th.excrate")}</th>
    <th rowspan="2" class=num>${t("th.compliance")}</th><th rowspan="2" class=num>${t("th.errorrate")}</th><th rowspan="2" class=num>${t("th.accuracy")}</th>
    <th rowspan="2" class=num>${t("th.inband")}</th>` + ["pick", "pack", "outbound"].map((n) => `<th colspan="2" class="node">${t("th.node." + n)}</th>`).join("") +
    "</tr><tr>" + ["pick", "pack", "outbound"].map(() => `<th class="num node">${t("th.avg")}</th><th class=num>${t("th.p90")}</th>`).join("") + "</tr>";
  // A figure's cell, red when it misses (miss true); null figures are no miss.
  const cell = (cls, text, miss) => `<td class="num ${cls}${miss ? " miss" : ""}">${miss ? `<span class="badge bad">${text}</span>` : text}</td>`;
  const row = (g, name) => {
    const st = g.stages;
    return `<tr data-group="${esc(g.group)}"${g.orders ? "" : ` class="muted"`}><td class="group">${esc(name)}</td><td class="num orders">${g.orders}</td>` +
      cell("excrate", pct(g.exception_rate, 2), g.exception_rate !== null && g.exception_rate > std.exception_rate_max) +
      cell("compliance", pct(g.compliance, 2), g.compliance !== null && g.compliance < std.compliance_min) +
      cell("errorrate", pct(g.error_rate, 2), false) +
      cell("accuracy", pct(g.pick_accuracy, 2), g.pick_accuracy !== null && g.pick_accuracy < std.accuracy_min) +
      cell("inband", pct(g.in_band_share), false) +
      ["pick", "pack", "outbound"].map((n) => cell(n + "-mean node", dur(st[n].mean_s), false) +
        cell(n + "-p90", dur(st[n].p90_s), n === "outbound" && st[n].count > 0 && st[n].p90_s > std.outbound_max_s)).join("") + "</tr>";
  };
  const empty = `<tr><td colspan="13" class="muted">${t("kpi.noorders")}</td></tr>`;
  $("#kpi-waves").innerHTML = head(t("th.wave")) + (r.waves.map((g) => row(g, g.group || t("kpi.nowave"))).join("") || empty);
  const variants = r.variant_groups.some((g) => g.orders > 0) ? r.variant_groups : [];
  $("#kpi-variants").innerHTML = head(t("th.variant")) + (variants.map((g) => row(g, T["variant." + g.group] ? t("variant." + g.group) : g.group)).join("") || empty);

  const exc = r.site.exceptions, by = Object.entries(exc.by_reason || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  $("#kpi-reasons").innerHTML = `<tr><th>${t("th.reason")}</th><th class=num>${t("th.count")}</th></tr>` +
    (by.map(([code, n]) => `<tr data-reason="${esc(code)}"><td class="reason">${esc(reasonText(code))}</td><td class="num count">${n}</td></tr>`).join("") ||
      `<tr><td colspan="2" class="muted">${t("kpi.noreasons")}</td></tr>`);
  const res = exc.resolution;
  $("#kpi-resolution").textContent = res.count ? t("kpi.resolved", res.count, dur(res.mean_s), dur(res.p90_s)) : t("kpi.noresolved");
}

function selectPerson(op) {
  state.kpiPerson = op;
  renderPerson();
}

// renderPerson draws the chosen person's trend over the window, beside the
// site's: units and lines per hour logged in, and pick accuracy.
function renderPerson() {
  const k = state.kpi;
  if (!k) return;
  const op = state.kpiPerson, p = k.r.people.find((x) => x.operator === op);
  const rows = $("#kpi-table").querySelectorAll("tr[data-operator]");
  rows.forEach((tr) => tr.classList.toggle("sel", tr.dataset.operator === op));
  drawBars($("#kpi-bars"), k.r.people.filter((x) => x.hours_logged_in > 0).map((x) => ({ op: x.operator, label: x.name || x.operator, value: x.lines_per_hour, low: x.accuracy_ok === false })));
  const box = $("#kpi-person-charts");
  box.dataset.operator = op || "";
  $("#kpi-person-name").textContent = p ? p.name || p.operator : "";
  $("#kpi-person").hidden = !p;
  if (!p) {
    ["uph", "lph", "acc"].forEach((id) => ($("#kpi-person-" + id).innerHTML = `<p class="muted">${t("kpi.nobody")}</p>`));
    return;
  }
  $("#kpi-person").value = op;
  const of = (b) => b.people.get(op);
  const rate = (key) => [
    { cls: "site", values: k.buckets.map((b) => (kpiWorked(b.site) ? b.site[key] : null)) },
    { cls: "person", values: k.buckets.map((b) => (kpiWorked(of(b)) ? of(b)[key] : null)) },
  ];
  drawLines($("#kpi-person-uph"), k.buckets, rate("uph"), "uph", {});
  drawLines($("#kpi-person-lph"), k.buckets, rate("lph"), "lph", {});
  drawLines($("#kpi-person-acc"), k.buckets, [
    { cls: "site", values: k.buckets.map((b) => b.site.acc) },
    { cls: "person", values: k.buckets.map((b) => of(b)?.acc ?? null) },
  ], "acc", { accuracy: true });
}

const SVGNS = "http://www.w3.org/2000/svg";
// niceMax is the top of a chart's scale for values up to m: a round number
// whose quarters are round too (the scale has four ticks).
function niceMax(m) {
  const mag = 10 ** Math.floor(Math.log10(m));
  return [1, 2, 4, 5, 8, 10].map((f) => f * mag).find((c) => c >= m - 1e-9);
}
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

// drawBars compares people: one bar each, amber when below the accuracy
// standard, outlined for the person whose trend is shown; a bar shows its
// person's trend when clicked.
function drawBars(box, items) {
  box.innerHTML = "";
  if (!items.length) { box.innerHTML = `<p class="muted">${t("kpi.nologin")}</p>`; return; }
  const W = 540, H = 240, left = 36, bottom = 44, top = 18;
  const max = niceMax(Math.max(1, ...items.map((i) => i.value)));
  const s = svg(W, H);
  const bw = (W - left - 10) / items.length;
  el(s, "line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: "axis" });
  for (let t = 0; t <= 4; t++) {
    const y = H - bottom - (H - bottom - top) * t / 4;
    el(s, "text", { x: 2, y: y + 4 }, String(+(max * t / 4).toFixed(2)));
  }
  items.forEach((it, i) => {
    const h = (H - bottom - top) * it.value / max, x = left + i * bw + bw * 0.15;
    el(s, "rect", { x, y: H - bottom - h, width: bw * 0.7, height: Math.max(h, 0.5), "data-operator": it.op,
      class: "bar" + (it.low ? " low" : "") + (it.op === state.kpiPerson ? " sel" : "") });
    el(s, "text", { x: x + bw * 0.35, y: H - bottom + 14, "text-anchor": "middle" }, it.label.length > 12 ? it.label.slice(0, 11) + "…" : it.label);
    el(s, "text", { x: x + bw * 0.35, y: H - bottom - h - 3, "text-anchor": "middle" }, it.value.toFixed(1));
  });
  box.appendChild(s);
}

// drawTrend draws the site's scans and lines per bucket (hour or day).
function drawTrend(box, buckets) {
  box.innerHTML = "";
  if (!buckets.length) return;
  const W = 540, H = 240, left = 36, bottom = 28, top = 16;
  const max = niceMax(Math.max(1, ...buckets.map((b) => b.site.scans)));
  const s = svg(W, H);
  const x = (i) => left + (W - left - 10) * (buckets.length === 1 ? 0.5 : i / (buckets.length - 1));
  const y = (v) => H - bottom - (H - bottom - top) * v / max;
  el(s, "line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: "axis" });
  for (let t = 0; t <= 4; t++) el(s, "text", { x: 2, y: y(max * t / 4) + 4 }, String(+(max * t / 4).toFixed(2)));
  const step = Math.ceil(buckets.length / 8);
  buckets.forEach((b, i) => {
    if (i % step === 0) el(s, "text", { x: x(i), y: H - 8, "text-anchor": "middle" }, bucketLabel(b, false, true));
  });
  el(s, "polyline", { points: buckets.map((b, i) => `${x(i)},${y(b.site.scans)}`).join(" "), class: "line-scans" });
  el(s, "polyline", { points: buckets.map((b, i) => `${x(i)},${y(b.site.lines)}`).join(" "), class: "line-lines" });
  el(s, "text", { x: W - 150, y: 12 }, t("kpi.legend"));
  box.appendChild(s);
}

// drawLines draws one figure over the window's buckets: each series a
// line, broken where it has no value (a bucket the person did not work in,
// or without pick scans for accuracy); the person's with a point per value
// that carries its bucket and value (data-i, data-at, data-v).
function drawLines(box, buckets, series, figure, opt) {
  box.innerHTML = "";
  const W = 360, H = 190, left = 40, right = 10, top = 10, bottom = 22;
  const s = svg(W, H);
  s.removeAttribute("preserveAspectRatio"); // points stay round
  s.dataset.figure = figure;
  const vals = series.flatMap((se) => se.values.filter((v) => v !== null));
  let lo = 0, hi;
  if (opt.accuracy) {
    hi = 1;
    // Four ticks of a round step, down to below the lowest value.
    const least = Math.min(0.99, ...vals);
    lo = 1 - 4 * [0.0025, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.25].find((st) => 1 - 4 * st <= least + 1e-9);
  } else {
    hi = niceMax(Math.max(1, ...vals));
  }
  const n = buckets.length;
  const x = (i) => left + (W - left - right) * (n === 1 ? 0.5 : i / (n - 1));
  const y = (v) => H - bottom - (H - bottom - top) * (v - lo) / (hi - lo);
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4;
    el(s, "line", { x1: left, y1: y(v), x2: W - right, y2: y(v), class: k ? "grid" : "axis" });
    // As many decimals as the ticks need: 90%, 92.5%, 95%…
    const digits = opt.accuracy ? [0, 1, 2].find((d) => Math.abs(v * 100 * 10 ** d - Math.round(v * 100 * 10 ** d)) < 1e-6) ?? 2 : 0;
    el(s, "text", { x: left - 4, y: y(v) + 4, "text-anchor": "end" }, opt.accuracy ? pct(v, digits) : String(+v.toFixed(2)));
  }
  if (opt.accuracy && 0.998 > lo) el(s, "line", { x1: left, y1: y(0.998), x2: W - right, y2: y(0.998), class: "std" });
  const step = Math.ceil(n / 6);
  buckets.forEach((b, i) => {
    if (i % step === 0) el(s, "text", { x: x(i), y: H - 6, "text-anchor": "middle" }, bucketLabel(b, false, true));
  });
  for (const se of series) {
    let d = "", open = false;
    se.values.forEach((v, i) => {
      if (v === null) { open = false; return; }
      d += `${open ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      open = true;
    });
    // A lone value between gaps is a dot: a path needs two ends.
    const line = el(s, "path", { d: d.trim() || "M0,0", class: "line-" + se.cls });
    if (!d) line.setAttribute("visibility", "hidden");
    if (se.cls !== "person") continue;
    se.values.forEach((v, i) => {
      if (v === null) return;
      const pt = el(s, "circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3, class: "pt", "data-i": i, "data-at": new Date(buckets[i].start).toISOString(), "data-v": v });
      el(pt, "title", {}, `${bucketLabel(buckets[i], true)}: ${opt.accuracy ? pct(v, 2) : v.toFixed(1)}`);
    });
  }
  box.appendChild(s);
}

// ---- labels: the last printed, newest first ----
async function loadLabels() {
  const labels = await api("GET", "/api/v1/labels");
  // Reloaded on every journal event: redraw (and fetch the pictures again)
  // only when the labels changed.
  const key = labels.map((l) => l.job).join(" ") + (isAdmin() ? " admin" : "") + " " + lang;
  if (key === state.labelsKey) return;
  state.labelsKey = key;
  $("#labels-grid").innerHTML = labels.map((l) => `<figure data-job="${esc(l.job)}" data-order="${esc(l.order || "")}">
    <a href="${esc(l.preview)}" target="_blank"><img loading="lazy" alt="${esc(t("label.alt", l.order || l.job))}" src="${esc(l.preview)}"></a>
    <figcaption><b class="order">${esc(l.order || l.job)}</b> · ${esc(l.kind.replace("_", " "))} ${esc(l.template)}${l.reprint_of ? ` · ${t("label.reprint")}` : ""}<br>
      ${esc(t("label.where", l.station || "—", l.printer || "—"))}<br>
      <span class="muted">${esc(new Date(l.printed).toLocaleString(locale()))}</span>
      ${isAdmin() ? ` <button data-reprint="${esc(l.job)}">${t("reprint")}</button>` : ""}</figcaption></figure>`).join("") ||
    `<p class="muted">${t("labels.none")}</p>`;
}

// ---- audit ----
async function loadAudit() {
  const log = await api("GET", "/api/v1/audit");
  $("#audit-table").innerHTML = `<tr><th>${t("th.when")}</th><th>${t("th.who")}</th><th>${t("th.action")}</th><th>${t("th.target")}</th><th>${t("th.detail")}</th><th>${t("th.from")}</th></tr>` +
    (log.map((a) => `<tr><td class="muted">${new Date(a.time).toLocaleString(locale())}</td><td>${esc(a.actor)} <span class="muted small">${esc(a.role ? t("role", a.role) : "")}</span></td><td>${esc(a.action)}</td><td>${esc(a.target)}</td><td class="small">${esc(a.detail || "")}</td><td class="muted small">${esc(a.remote || "")}</td></tr>`).join("") ||
      `<tr><td colspan="6" class="muted">${t("audit.none")}</td></tr>`);
}

// ---- API tokens (admins only) ----
const when = (at) => (at && !at.startsWith("0001") ? new Date(at).toLocaleString(locale()) : "—");

async function loadTokens() {
  if (!isAdmin()) return;
  const toks = (await api("GET", "/api/v1/tokens")).reverse(); // newest first
  $("#tokens-table").innerHTML = `<tr><th>${t("th.name")}</th><th>${t("th.scope")}</th><th>${t("th.created")}</th><th>${t("th.by")}</th><th>${t("th.state")}</th><th></th></tr>` +
    (toks.map((k) => {
      const st = k.revoked
        ? `<span class="badge bad">${t("token.revoked")}</span> <span class="muted small">${esc(when(k.revoked))}</span>`
        : `<span class="badge ok">${t("token.active")}</span>`;
      let act = "";
      if (!k.revoked && state.revoking === k.id) {
        act = `<span class="confirm">${esc(t("token.confirm", k.name))}</span>
          <button class="danger" data-revoke-confirm="${esc(k.id)}">${t("token.yes")}</button> <button data-revoke-cancel="${esc(k.id)}">${t("token.cancel")}</button>`;
      } else if (!k.revoked) {
        act = `<button class="danger" data-revoke="${esc(k.id)}">${t("token.revoke")}</button>`;
      }
      return `<tr data-token="${esc(k.id)}" class="${k.revoked ? "revoked" : ""}"><td>${esc(k.name)} <span class="muted small">${esc(k.id)}</span></td>
        <td><span class="badge ${k.scope === "admin" ? "warn" : ""}" data-scope="${esc(k.scope)}">${esc(T["scope." + k.scope] ? t("scope." + k.scope) : k.scope)}</span></td><td class="muted">${esc(when(k.created))}</td>
        <td>${esc(k.created_by)}</td><td class="state">${st}</td><td class="act">${act}</td></tr>`;
    }).join("") || `<tr><td colspan="6" class="muted">${t("tokens.none")}</td></tr>`);
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
    $("#token-secret-name").textContent = `${k.name} (${T["scope." + k.scope] ? t("scope." + k.scope) : k.scope})`;
    $("#token-secret").textContent = k.token;
    $("#token-copied").textContent = "";
    $("#token-secret-box").hidden = false;
    $("#token-form").reset();
    flash(t("token.created", k.name));
    await loadTokens();
  } catch (err) {
    failed("err.action", err);
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
    $("#token-copied").textContent = t("tokens.copied");
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents($("#token-secret"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $("#token-copied").textContent = t("tokens.selected");
  }
});

$("#token-secret-done").addEventListener("click", hideSecret);

$("#tokens-table").addEventListener("click", async (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  if (b.dataset.revoke !== undefined || b.dataset.revokeCancel !== undefined) {
    state.revoking = b.dataset.revoke || "";
    loadTokens().catch((err) => failed("err.load", err));
    return;
  }
  const id = b.dataset.revokeConfirm;
  if (id === undefined) return;
  b.disabled = true;
  try {
    await api("POST", `/api/v1/tokens/${encodeURIComponent(id)}/revoke`);
    flash(t("token.revokedflash"));
  } catch (err) {
    failed("err.action", err);
  }
  state.revoking = "";
  loadTokens().catch((err) => failed("err.load", err));
});

// ---- boot ----
// The language chosen on this browser, else the browser's own.
document.querySelectorAll("button[data-lang]").forEach((b) => b.addEventListener("click", () => setLang(b.dataset.lang, true)));
setLang(savedLang() || (/^zh/i.test(navigator.language || "") ? "zh" : "en"));

(async function boot() {
  try {
    start(await api("GET", "/api/v1/session"));
  } catch (_) {
    showSignIn();
  }
})();
