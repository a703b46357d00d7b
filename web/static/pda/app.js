// floorgate PDA web app: speaks the PDA protocol v1 (docs/pda-protocol.md)
// over /ws/v1. The PDA decides nothing: it sends what was scanned and plays
// what the gateway answers. What it must get right on its own is capture
// (one physical read = one scan) and never losing a scan across a drop.
'use strict';
(function () {
  var APP = 'floorgate-pda 1.0.0';
  var K = { device: 'fg.device', token: 'fg.token', seq: 'fg.seq', queue: 'fg.queue', lang: 'fg.lang' };

  // ---------- storage (a private-mode browser may refuse it: keep going in memory)
  var mem = {};
  function load(k) { try { var v = localStorage.getItem(k); return v === null ? mem[k] || null : v; } catch (e) { return mem[k] || null; } }
  function save(k, v) { mem[k] = v; try { localStorage.setItem(k, v); } catch (e) { /* memory only */ } }

  function random(n) {
    var abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', b = new Uint8Array(n), s = '';
    crypto.getRandomValues(b); // available on plain http too, unlike randomUUID
    for (var i = 0; i < n; i++) s += abc[b[i] % abc.length];
    return s;
  }

  // ---------- device identity
  var device = load(K.device), token = load(K.token);
  if (!device) { device = 'pda-' + random(8).toLowerCase(); save(K.device, device); }
  if (!token) { token = random(32); save(K.token, token); } // ~190 bits

  // Scan ids: "<device>-<counter>", the counter persisted before the id is
  // used, so an id is never given to two reads, even across a reload.
  function nextScanID() {
    var n = (parseInt(load(K.seq), 10) || 0) + 1;
    save(K.seq, String(n));
    return device + '-' + ('00000' + n).slice(-6);
  }
  var reqN = 0;
  function reqID(p) { reqN++; return p + '-' + Date.now().toString(36) + '-' + reqN; }

  // ---------- the outbox: scans and shorts not yet answered, in order,
  // persisted so that neither a drop nor a killed browser loses one.
  var queue = [];
  try { queue = JSON.parse(load(K.queue) || '[]') || []; } catch (e) { queue = []; }
  function saveQueue() { save(K.queue, JSON.stringify(queue)); }

  // ---------- bilingual texts the app says itself (the gateway's verdicts
  // bring their own). Never a program's error text.
  var T = {
    connecting: ['正在连接网关…', 'Connecting to the gateway…'],
    offline: function (n, s) {
      var zh = '离线', en = 'Offline';
      if (n > 0) { zh += ' · ' + n + ' 条扫描待发送'; en += ' — ' + n + ' scan' + (n === 1 ? '' : 's') + ' waiting'; }
      if (s > 0) { zh += ' · ' + s + '秒后重连'; en += ', retry in ' + s + ' s'; } else { zh += ' · 重连中'; en += ', reconnecting…'; }
      return [zh, en];
    },
    replaced: ['本设备已在别处连接', 'This device is connected elsewhere'],
    update: ['请更新本应用', 'This app needs an update'],
    unauthorized: ['本设备未获授权，请联系主管配对', 'This device is not enrolled. Ask a supervisor to pair it.'],
    pairBad: ['配对码无效或已过期', 'Pairing code not valid or expired'],
    pairFail: ['无法配对，请稍后再试', 'Could not pair. Try again shortly.'],
    pairing: ['正在配对…', 'Pairing…'],
    needOnline: ['离线中，请稍候再试', 'Offline. Try again when connected.'],
    waitScans: ['还有扫描未发送，请稍候', 'Scans still waiting to be sent. Please wait.'],
    pinShort: ['请输入密码', 'Enter your PIN'],
    reasonTitle: ['选择异常原因', 'Choose the reason'],
    scanExcItem: ['请扫描相关商品', 'Scan the item concerned'],
    // The reason codes' texts, as the gateway's floorgate.ReasonText has them.
    reasons: {
      short_bin_empty: ['缺货：库位为空', 'Short: bin empty'],
      short_count_wrong: ['缺货：库存数量不符', 'Short: count wrong'],
      damaged: ['商品破损', 'Damaged item'],
      wrong_item_in_bin: ['库位商品不符', 'Wrong item in the bin'],
      missing_at_pack: ['打包时缺件', 'Item missing at pack'],
      label_unreadable: ['标签无法识别', 'Label unreadable']
    },
    shortTitle: function (max) { return ['缺货：库位里还有几件？（少于 ' + max + '）', 'Short: units still in the bin? (under ' + max + ')']; },
    qtyTitle: ['输入数量，然后扫描商品', 'Key the quantity, then scan the item'],
    qtyNext: function (n) { return ['下次扫描计 ' + n + ' 件', 'Next scan counts ' + n]; },
    scanLoc: ['扫描库位', 'Scan the location'],
    scanItem: ['扫描商品', 'Scan the item'],
    scanSerial: ['扫描序列号标签', 'Scan the serial number label'],
    scanOrder: ['扫描订单或周转箱', 'Scan the order or tote'],
    scanPackItem: ['逐件扫描商品复核', 'Scan every item'],
    scanPackRest: ['商品已齐：放入并扫描下列物品', 'Items done: put in and scan what is listed below'],
    scanWaybill: ['贴好面单后扫描面单', 'Stick the waybill on and scan it'],
    waybillHeld: ['本工位无打印机，面单未打印', 'No printer at this station: the waybill did not print'],
    stationSet: function (s) { return ['打包工位：' + s, 'Pack station: ' + s]; },
    lineOf: function (l, n) { return '第 ' + l + '/' + n + ' 行 · line ' + l + '/' + n; },
    verified: function (n) { return '已复核 ' + n + ' · verified ' + n; },
    cartSlots: function (n) { return n + ' 格 · ' + n + ' slot' + (n === 1 ? '' : 's'); },
    slotOf: function (k, n) { return '第 ' + k + '/' + n + ' 格 · slot ' + k + ' of ' + n; },
    toPick: ' 待拣 · to pick',
    bindTote: ['扫描一个空周转箱，放到此格', 'Scan an empty tote for this slot'],
    bindReuse: function (t) { return ['扫描周转箱 ' + t + '（已装本订单），放到此格', 'Scan tote ' + t + ' (it holds this order) for this slot']; },
    putTote: function (k) { return ['放入第 ' + k + ' 格，扫描该格周转箱', 'Put it in slot ' + k + ', scan its tote']; },
    shortsTitle: ['以下订单缺货', 'These orders go short'],
    putSlot: function (k) { return ['放入第 ' + k + ' 格口，扫描格口标签', 'Put it in slot ' + k + ', scan the slot\'s label']; },
    sortEnd: ['箱已空，结束批次', 'Container empty: end the batch'],
    sortEndSure: ['再点一次：未分完的订单记缺货', 'Tap again: orders not complete go short'],
    shortMissing: function (n) { return '缺 ' + n + ' · ' + n + ' short'; },
    errInvalid: ['网关无法处理该请求', 'The gateway could not handle that'],
    errUnavailable: ['网关暂时不可用，请稍候', 'The gateway is busy. Please wait.'],
    errOther: ['出现问题，请重试或联系主管', 'Something went wrong. Try again or ask a supervisor.']
  };

  // ---------- DOM helpers
  var $ = function (id) { return document.getElementById(id); };
  var body = document.body, capture = $('capture');
  function setBi(el, pair) { el.querySelector('.zh').textContent = pair[0]; el.querySelector('.en').textContent = pair[1]; }
  function setScreen(name) { body.setAttribute('data-screen', name); }

  // ---------- feedback: tone, vibration, light. Recorded in fgFeedbackLog
  // for tests, before trying to play (Web Audio may be blocked until the
  // first user gesture; the log does not depend on it).
  window.fgFeedbackLog = [];
  var audio = null;
  function playTone(steps) {
    try {
      if (!audio) { var AC = window.AudioContext || window.webkitAudioContext; if (!AC) return; audio = new AC(); }
      if (audio.state === 'suspended') audio.resume();
      var t = audio.currentTime + 0.02;
      steps.forEach(function (s) {
        var d = Math.max(0, s.ms || 0) / 1000;
        if (s.hz > 0 && d > 0) {
          var o = audio.createOscillator(), g = audio.createGain();
          o.type = 'square'; o.frequency.value = s.hz; g.gain.value = 0.2;
          o.connect(g); g.connect(audio.destination);
          o.start(t); o.stop(t + d);
        }
        t += d; // hz 0 is silence for that long
      });
    } catch (e) { /* no audio on this device: the vibration and the screen still tell */ }
  }
  var flashTimer = 0;
  function play(code, fb) {
    fb = fb || {};
    var tone = fb.tone || [], vib = fb.vibrate_ms || [];
    window.fgFeedbackLog.push({ code: code, kind: fb.kind || '', tone: tone, vibrate: vib, led: fb.led || '' });
    playTone(tone);
    try { if (vib.length && navigator.vibrate) navigator.vibrate(vib); } catch (e) { /* not allowed yet */ }
    body.classList.remove('flash-green', 'flash-amber', 'flash-red');
    if (fb.led) {
      body.classList.add('flash-' + fb.led);
      clearTimeout(flashTimer);
      flashTimer = setTimeout(function () { body.classList.remove('flash-green', 'flash-amber', 'flash-red'); }, 700);
    }
  }
  // Web Audio starts only after a gesture: unlock it on the first tap.
  document.addEventListener('pointerdown', function () { if (audio && audio.state === 'suspended') audio.resume(); }, true);

  function showVerdict(v) {
    var box = $('verdict'), m = v.message || {};
    $('v-zh').textContent = m.zh || m.en || '';
    $('v-en').textContent = m.en || '';
    box.className = 'verdict ' + ((v.feedback && v.feedback.led) || (v.ok ? 'green' : 'red'));
    box.setAttribute('data-code', v.code || '');
    box.hidden = !(m.zh || m.en);
  }
  function showNote(pair, led) {
    showVerdict({ ok: led !== 'red', code: 'local', message: { zh: pair[0], en: pair[1] }, feedback: { led: led || 'amber' } });
  }
  function alarm(v) {
    var m = v.message || {}, p = v.prompt && v.prompt.location ? v.prompt : prompt;
    $('alarm-zh').textContent = m.zh || ''; $('alarm-en').textContent = m.en || '';
    $('alarm-loc').textContent = (p && p.location) || '';
    $('alarm-loc-wrap').hidden = !(p && p.location);
    $('alarm').hidden = false;
  }
  function clearAlarm() { $('alarm').hidden = true; }
  $('alarm').addEventListener('click', clearAlarm);

  // ---------- prompts → screens
  var prompt = { step: '' }, operator = '', keyedQty = 0, lastCode = '';
  // packRest: the order whose items are all in, with only what is listed
  // left to scan ('' for none).
  var packRest = '';
  // On a cart: the orders the last short left short (shown until the next
  // answer), and the cart last seen (the prompt after cart_done has none).
  var shorts = [], lastCart = '';
  function applyPrompt(p) {
    if (!p || !p.step) return; // empty step: no change
    prompt = p;
    if (p.step === 'login') packing = false;
    body.classList.remove('step-location', 'step-item', 'step-bind', 'step-tote', 'step-reuse');
    $('slot-box').classList.remove('wrong');
    $('logout').hidden = p.step === 'login';
    renderCart(p);
    renderWall(p);
    renderShorts($('pick-shorts'));
    body.classList.toggle('has-shorts', shorts.length > 0);
    switch (p.step) {
      case 'login':
        operator = ''; $('who').textContent = ''; resetLogin(); setScreen('login'); break;
      case 'scan_location': case 'scan_item': case 'scan_serial':
        $('pick-order').textContent = p.order || p.task || '';
        $('pick-line').textContent = p.lines ? T.lineOf(p.line || 1, p.lines) : '';
        $('pick-line').hidden = !p.lines; // a cart's stop serves several orders: no line of one
        $('pick-location').textContent = p.location || '';
        $('pick-item').textContent = p.item_name || '';
        $('pick-sku').textContent = p.sku || '';
        $('pick-qty').innerHTML = '';
        var sm = document.createElement('small');
        if (p.cart) { // what the stop's orders still need, together
          $('pick-qty').appendChild(document.createTextNode(String(p.qty || 0)));
          sm.textContent = T.toPick;
        } else {
          $('pick-qty').appendChild(document.createTextNode(String(p.picked || 0)));
          sm.textContent = ' / ' + (p.qty || 0);
        }
        $('pick-qty').appendChild(sm);
        body.classList.add(p.step === 'scan_location' ? 'step-location' : 'step-item');
        setBi($('pick-instr'), p.step === 'scan_location' ? T.scanLoc : p.step === 'scan_item' ? T.scanItem : T.scanSerial);
        $('short-btn').hidden = p.step !== 'scan_item';
        $('qty-btn').hidden = !(p.keyed_qty && p.step === 'scan_item');
        if (!p.keyed_qty) keyedQty = 0;
        setScreen('pick');
        fitText($('pick-location'), 50, 26); // measured once the screen shows
        break;
      case 'scan_order': case 'scan_pack_item': case 'scan_waybill':
        packing = true; renderStation();
        if (!station && stations.length) { showStations(false); break; }
        $('pack-order').textContent = p.order || '—';
        $('pack-count').textContent = p.step === 'scan_order' ? '' : T.verified(p.picked || 0);
        $('pack-count').hidden = p.step === 'scan_order';
        // Once the items are in and only gifts or the fragile wrap are
        // missing, the instruction says so instead of "scan every item".
        var rest = p.step === 'scan_pack_item' && (lastCode === 'gift_missing' || lastCode === 'material_needed' || packRest === p.order);
        setBi($('pack-instr'), p.step === 'scan_order' ? T.scanOrder :
          p.step === 'scan_pack_item' ? (rest && ((p.extras || []).length || (p.fragile || []).length) ? T.scanPackRest : T.scanPackItem) :
          lastCode === 'no_printer' ? T.waybillHeld : T.scanWaybill);
        packRest = rest ? p.order : '';
        renderPackTodo(p);
        $('pack-exc-btn').hidden = p.step !== 'scan_pack_item';
        setScreen('pack');
        fitText($('pack-order'), 34, 20);
        break;
      case 'cancelled':
        $('cancel-order').textContent = p.order || p.task || ''; setScreen('cancelled'); break;
      case 'scan_cart':
        setScreen('cart'); break;
      case 'sort_item':
        $('sort-left').textContent = String(p.qty || 0);
        armSortEnd(false);
        setScreen('sort'); break;
      case 'bind_tote': case 'scan_tote': case 'scan_slot':
        renderSlot(p); setScreen('slot');
        fitText($('slot-order'), 24, 14); fitText($('slot-tote'), 24, 14);
        // The slot comes first: an instruction without room for all of it
        // (a long verdict above the bar) is left out, not shown cut.
        var ins = $('slot-instr'); ins.classList.remove('cut');
        ins.classList.toggle('cut', ins.scrollHeight > ins.clientHeight + 1);
        break;
      default: // wait, and any step this app does not know
        setScreen('wait');
    }
  }
  // ---------- the parcel's gifts and inserts still missing, the fragile
  // packing material to scan, and its packing instructions
  function fillList(ul, items) {
    ul.innerHTML = '';
    (items || []).forEach(function (t) { var li = document.createElement('li'); li.textContent = t; ul.appendChild(li); });
  }
  function renderPackTodo(p) {
    var extras = p.step === 'scan_pack_item' ? (p.extras || []) : [];
    var fragile = p.step === 'scan_pack_item' ? (p.fragile || []) : [];
    var notes = p.step === 'scan_pack_item' ? (p.instructions || []) : [];
    fillList($('pack-extras-list'), extras);
    fillList($('pack-notes-list'), notes);
    fillList($('pack-fragile-list'), fragile);
    $('pack-extras').hidden = !extras.length;
    $('pack-material').hidden = !fragile.length;
    $('pack-notes').hidden = !notes.length;
    $('pack-todo').hidden = !(extras.length || fragile.length || notes.length);
  }
  // ---------- cart picking: the cart's bar, the slot screen, the shorts
  function renderCart(p) {
    body.classList.toggle('on-cart', !!p.cart);
    if (!p.cart) return;
    lastCart = p.cart;
    $('cart-id').textContent = p.cart;
    $('cart-slots').textContent = p.slots ? T.cartSlots(p.slots) : '';
    $('cart-slots').hidden = !p.slots;
  }
  // bind_tote: a tote for slot p.slot (p.tote when the order already has
  // one); scan_tote: the unit just scanned goes into slot p.slot.
  function renderSlot(p) {
    var wall = p.step === 'scan_slot', put = p.step === 'scan_tote' || wall;
    $('slot-num').textContent = p.slot ? String(p.slot) : '';
    $('slot-of').textContent = p.slot && p.slots ? T.slotOf(p.slot, p.slots) : '';
    $('slot-of').hidden = !(p.slot && p.slots);
    $('slot-put').hidden = !put;
    $('slot-item').textContent = put ? p.item_name || '' : '';
    $('slot-sku').textContent = put ? p.sku || '' : '';
    $('slot-qty').textContent = put ? '×' + (p.qty || 1) : '';
    $('slot-order').textContent = p.order || p.task || '';
    $('slot-tote').textContent = p.tote || '';
    $('slot-tote').hidden = !p.tote;
    $('slot-anytote').hidden = put || !!p.tote;
    // At a wall the slot is scanned by its own label: no tote, the wall.
    $('slot-tote-box').hidden = wall;
    $('slot-wall-box').hidden = !(wall && p.wall);
    $('slot-label-zh').textContent = wall ? '格口' : '格位'; // a wall's slot, a cart's slot
    $('slot-wall').textContent = wall ? p.wall || '' : '';
    body.classList.add(put ? 'step-tote' : p.tote ? 'step-reuse' : 'step-bind');
    setBi($('slot-instr'), wall ? T.putSlot(p.slot || '') : put ? T.putTote(p.slot || '') : p.tote ? T.bindReuse(p.tote) : T.bindTote);
  }
  function renderShorts(box) {
    box.innerHTML = '';
    box.hidden = !shorts.length;
    if (!shorts.length) return;
    var head = document.createElement('div'); head.className = 'bi label';
    var zh = document.createElement('span'); zh.className = 'zh'; zh.textContent = T.shortsTitle[0];
    var en = document.createElement('span'); en.className = 'en'; en.textContent = T.shortsTitle[1];
    head.appendChild(zh); head.appendChild(en); box.appendChild(head);
    shorts.forEach(function (s) {
      var row = document.createElement('div'); row.className = 'short-row';
      row.setAttribute('data-slot', String(s.slot));
      // An order of a wall's batch that never got a unit has no slot.
      var n = document.createElement('span'); n.className = 'short-slot'; n.textContent = s.slot ? String(s.slot) : '—';
      var o = document.createElement('span'); o.className = 'short-order'; o.textContent = s.order || s.task || '';
      var m = document.createElement('span'); m.className = 'short-miss'; m.textContent = T.shortMissing(s.missing);
      row.appendChild(n); row.appendChild(o); row.appendChild(m); box.appendChild(row);
    });
  }
  // The cart is finished: every order closed (cart_done, or a short that
  // closed the last ones). The next prompt waits behind this screen until
  // the picker taps on or scans.
  function showCartDone(cart) {
    $('done-cart').textContent = cart || '';
    renderShorts($('done-shorts'));
    setScreen('cartdone');
  }
  $('done-next').addEventListener('click', function () { shorts = []; applyPrompt(prompt); });

  // ---------- sorting at a put wall: the wall's bar, the container's
  // units left, ending the batch when the container is empty (a short
  // with found 0, confirmed by a second tap), the batch sorted.
  // The batch is its container's label: the scan that opened it names it
  // when the prompt does not.
  var lastBatch = '';
  function sortStep(p) { return !!p && (p.step === 'sort_item' || p.step === 'scan_slot'); }
  function renderWall(p) {
    var on = sortStep(p);
    body.classList.toggle('at-wall', on);
    if (!on) return;
    lastBatch = p.batch || lastBatch;
    $('wall-id').textContent = p.wall || '';
    $('wall-id-box').hidden = !p.wall;
    $('wall-batch').textContent = lastBatch;
  }
  var sortEndTimer = 0;
  function armSortEnd(on) {
    clearTimeout(sortEndTimer);
    $('sort-end').classList.toggle('confirm', on);
    var t = on ? T.sortEndSure : T.sortEnd;
    $('sort-end-zh').textContent = t[0]; $('sort-end-en').textContent = t[1];
    if (on) sortEndTimer = setTimeout(function () { armSortEnd(false); }, 5000);
  }
  $('sort-end').addEventListener('click', function () {
    if (!$('sort-end').classList.contains('confirm')) { armSortEnd(true); return; }
    armSortEnd(false);
    enqueue({ type: 'short', found: 0 });
  });
  function showSortDone(batch) {
    $('sortdone-batch').textContent = batch || '';
    renderShorts($('sortdone-shorts'));
    setScreen('sortdone');
  }
  $('sortdone-next').addEventListener('click', function () { shorts = []; applyPrompt(prompt); });

  // ---------- the pack station: a name the gateway knows (welcome.stations),
  // kept on the gateway for this device and shown in the header. A packer
  // whose device has none is asked first; the header button changes it.
  var station = '', stations = [], packing = false;
  function renderStation() {
    $('station-zh').textContent = station || '—'; $('station-en').textContent = station || '—';
    $('station-btn').hidden = !(packing && (station || stations.length));
  }
  function showStations(cancellable) {
    var list = $('station-list'); list.innerHTML = '';
    stations.forEach(function (name) {
      var b = document.createElement('button');
      b.type = 'button'; b.className = name === station ? 'on' : ''; b.textContent = name;
      b.setAttribute('data-station', name);
      list.appendChild(b);
    });
    $('station-none').hidden = stations.length > 0;
    $('station-cancel').hidden = !(cancellable && station);
    setScreen('station');
  }
  function chooseStation(name) {
    var id = reqID('S');
    if (!send({ type: 'station', id: id, station: name })) { showNote(T.needOnline, 'red'); return; }
    pending[id] = 'station';
  }
  $('station-list').addEventListener('click', function (e) {
    var b = e.target.closest('button'); if (b) chooseStation(b.getAttribute('data-station'));
  });
  $('station-btn').addEventListener('click', function () { showStations(true); });
  $('station-cancel').addEventListener('click', function () { applyPrompt(prompt); });

  // Long location codes must stay on one line on a 360 px screen. The size
  // is set through the CSSOM (el.style.fontSize), which the page's CSP
  // allows; a style="…" attribute or setAttribute('style', …) is refused.
  function fitText(el, max, min) {
    var size = max; el.style.fontSize = size + 'px';
    while (size > min && el.scrollWidth > el.clientWidth) { size -= 2; el.style.fontSize = size + 'px'; }
  }

  // ---------- the connection
  var ws = null, welcomed = false, inflight = null, answerTimer = 0, retryTimer = 0, countdown = 0;
  var backoff = 1000, stopped = false, pending = {}; // login/logout/next by id
  var wsURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/v1';

  function connect() {
    clearTimeout(retryTimer); clearInterval(countdown);
    if (ws) return;
    stopped = false;
    var s;
    try { s = new WebSocket(wsURL); } catch (e) { scheduleReconnect(); return; }
    ws = s; welcomed = false;
    s.onopen = function () {
      s.send(JSON.stringify({ type: 'hello', device: device, token: token, model: navigator.userAgent.slice(0, 120), app: APP, protocol: 1 }));
    };
    s.onmessage = function (ev) { if (ws === s) onMessage(ev.data); };
    s.onclose = function (ev) { if (ws === s) onClose(ev.code); };
    s.onerror = function () { /* onclose follows */ };
    renderConn();
  }

  function onClose(code) {
    ws = null; welcomed = false; inflight = null; clearTimeout(answerTimer);
    for (var id in pending) delete pending[id];
    renderConn();
    if (code === 4401) { stopped = true; showPairing(T.unauthorized); return; }
    if (code === 4409) { stopped = true; showMessage(T.replaced, true); return; }
    if (code === 4426) { stopped = true; showMessage(T.update, true); return; }
    scheduleReconnect();
  }

  // Exponential backoff 1 s → 30 s with jitter, reset by a welcome.
  function scheduleReconnect() {
    if (stopped) return;
    var d = Math.round(backoff * (0.5 + Math.random() * 0.5));
    backoff = Math.min(backoff * 2, 30000);
    var until = Date.now() + d;
    clearInterval(countdown);
    var tick = function () { renderOffline(Math.ceil((until - Date.now()) / 1000)); };
    tick(); countdown = setInterval(tick, 500);
    retryTimer = setTimeout(function () { clearInterval(countdown); renderOffline(0); connect(); }, d);
  }
  function reconnectNow() { if (ws) return; stopped = false; backoff = 1000; connect(); }
  window.addEventListener('online', reconnectNow);

  function renderConn() {
    body.classList.toggle('online', !!(ws && welcomed));
    if (ws && welcomed) $('offline').hidden = true; else renderOffline(-1);
  }
  function renderOffline(secs) {
    // On the pairing screen the app has stopped retrying until it is
    // paired: "reconnecting" would not be true.
    if (ws && welcomed || body.getAttribute('data-screen') === 'pair') { $('offline').hidden = true; return; }
    if (body.getAttribute('data-screen') === 'connecting' && queue.length === 0 && secs < 0) return;
    var t = T.offline(queue.length, secs > 0 ? secs : 0);
    $('offline-zh').textContent = t[0]; $('offline-en').textContent = t[1];
    $('offline').hidden = false;
  }
  $('reconnect').addEventListener('click', reconnectNow);

  function send(msg) {
    if (!ws || !welcomed || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(msg)); return true;
  }

  // One request at a time (§7): the head of the queue goes out; the next one
  // only after its verdict. A resend after a reconnect carries the same id.
  function pump() {
    if (inflight || !queue.length || !ws || !welcomed) return;
    var head = queue[0];
    if (!send(head)) return;
    inflight = head.scan_id;
    clearTimeout(answerTimer);
    // No answer in 10 s: the link is dead even if the socket has not noticed.
    answerTimer = setTimeout(function () { if (ws) ws.close(); }, 10000);
  }
  function enqueue(msg) {
    msg.scan_id = nextScanID();
    queue.push(msg); saveQueue();
    renderConn(); pump();
  }

  function onMessage(raw) {
    var m;
    try { m = JSON.parse(raw); } catch (e) { return; }
    switch (m.type) {
      case 'welcome':
        welcomed = true; backoff = 1000;
        operator = m.operator || '';
        $('who').textContent = operator;
        station = m.station || ''; stations = m.stations || [];
        renderStation();
        renderConn();
        applyPrompt(m.prompt);
        pump(); break;
      case 'verdict': onVerdict(m); break;
      case 'logged_out':
        delete pending[m.id];
        play('logged_out', { kind: 'good', tone: [{ hz: 1800, ms: 160 }], vibrate_ms: [80], led: 'green' });
        $('verdict').hidden = true; clearAlarm();
        applyPrompt(m.prompt || { step: 'login' }); break;
      case 'task':
        delete pending[m.id]; clearAlarm(); applyPrompt(m.prompt); break;
      case 'station':
        if (pending[m.id]) {
          delete pending[m.id];
          station = m.station || ''; renderStation();
          lastCode = ''; // a held waybill moves to the station chosen
          showNote(T.stationSet(station), 'green');
          applyPrompt(prompt);
        }
        break;
      case 'push':
        if (m.kind === 'logged_in_elsewhere') { operator = ''; $('who').textContent = ''; }
        if (m.verdict) handleVerdict(m.verdict); break;
      case 'error': onError(m); break;
      default: // unknown types are ignored (§1)
    }
  }

  function onVerdict(v) {
    var id = v.scan_id;
    if (inflight && id === inflight) {
      clearTimeout(answerTimer);
      inflight = null;
      if (v.code === 'batch_open' && queue.length && queue[0].scan_id === id) lastBatch = queue[0].data || '';
      if (queue.length && queue[0].scan_id === id) { queue.shift(); saveQueue(); }
      handleVerdict(v);
      renderConn(); pump();
      return;
    }
    if (pending[id]) {
      var kind = pending[id]; delete pending[id];
      if (kind === 'login') {
        if (v.ok) { operator = loginBadge; $('who').textContent = operator; }
        else { pin = ''; renderPin(); }
      }
      handleVerdict(v);
    }
  }

  function handleVerdict(v) {
    play(v.code, v.feedback); // first: the picker is looking at the shelf
    lastCode = v.code || '';
    if (v.code === 'wrong_location') alarm(v); else clearAlarm();
    showVerdict(v);
    var cart = prompt.cart || ''; // the cart before this answer
    var sorting = sortStep(prompt); // at a wall before this answer
    shorts = v.code === 'short_ok' && v.shorts ? v.shorts : [];
    applyPrompt(v.prompt);
    // A rejected tote (or a scan that is no tote) while the slot is shown:
    // the slot stays on screen, in red.
    $('slot-box').classList.toggle('wrong', !v.ok && (prompt.step === 'bind_tote' || prompt.step === 'scan_tote' || prompt.step === 'scan_slot'));
    // A short that closed the cart's last orders ends the cart as cart_done does.
    var left = cart && v.prompt && v.prompt.step && !v.prompt.cart;
    if (v.code === 'cart_done' || v.code === 'short_ok' && left) showCartDone(cart || lastCart);
    // The batch's last order sorted, or the container emptied: the wall's
    // work is done, with the orders that went short.
    var ended = sorting && v.prompt && v.prompt.step && !sortStep(v.prompt);
    if (v.code === 'batch_sorted' || v.code === 'short_ok' && ended) showSortDone(lastBatch);
  }

  function onError(m) {
    var c = m.code, t = c === 'unauthorized' ? T.unauthorized : c === 'invalid' ? T.errInvalid : c === 'unavailable' ? T.errUnavailable : T.errOther;
    // The gateway's Chinese text is written for people; its English may be
    // technical, so this app says it in its own words.
    showNote([(m.message && m.message.zh) || t[0], t[1]], 'red');
    if (c === 'unauthorized') { stopped = true; showPairing(t); }
  }

  function showMessage(pair, withButton) {
    setBi($('msg-title'), pair);
    $('msg-btn').hidden = !withButton;
    setScreen('message');
  }
  $('msg-btn').addEventListener('click', function () { setScreen('connecting'); reconnectNow(); });

  // ---------- pairing (a device that the gateway does not know)
  function showPairing(reason) {
    $('pair-dev').textContent = device;
    if (reason) showNote(reason, 'red');
    setScreen('pair');
    renderOffline(-1);
  }
  function pair(code) {
    code = (code || '').trim();
    if (!code) return;
    showNote(T.pairing, 'amber');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/pair');
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.timeout = 15000;
    xhr.onload = function () {
      var r = null;
      try { r = JSON.parse(xhr.responseText); } catch (e) { r = null; }
      if (xhr.status === 200 && r && r.token) {
        token = r.token; save(K.token, token);
        if (r.device) { device = r.device; save(K.device, device); }
        $('verdict').hidden = true; setScreen('connecting'); reconnectNow();
      } else if (xhr.status >= 400 && xhr.status < 500) {
        showNote(T.pairBad, 'red');
      } else {
        showNote(T.pairFail, 'red');
      }
    };
    xhr.onerror = xhr.ontimeout = function () { showNote(T.pairFail, 'red'); };
    xhr.send(JSON.stringify({ code: code, device: device, model: navigator.userAgent.slice(0, 120) }));
  }
  $('pair-go').addEventListener('click', function () { pair($('pair-code').value); });
  $('pair-code').addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); pair($('pair-code').value); }
  });

  // ---------- login: badge (scanned, or typed) then PIN on the keypad
  var loginBadge = '', pin = '';
  function resetLogin() {
    loginBadge = ''; pin = '';
    $('login-badge-step').hidden = false; $('login-pin-step').hidden = true;
    $('badge-typed').hidden = true; $('badge-type').hidden = false; $('badge-input').value = '';
  }
  function gotBadge(b) {
    loginBadge = b; pin = '';
    $('badge-shown').textContent = b;
    $('login-badge-step').hidden = true; $('login-pin-step').hidden = false;
    renderPin(); refocus();
  }
  function renderPin() {
    var d = $('pin-dots'); d.innerHTML = '';
    for (var i = 0; i < Math.max(4, pin.length); i++) { var e = document.createElement('i'); if (i < pin.length) e.className = 'on'; d.appendChild(e); }
  }
  function submitLogin() {
    if (!pin) { showNote(T.pinShort, 'amber'); return; }
    var id = reqID('L');
    if (!send({ type: 'login', id: id, badge: loginBadge, pin: pin })) { showNote(T.needOnline, 'red'); return; }
    pending[id] = 'login';
  }
  $('pin-pad').addEventListener('click', function (e) {
    var b = e.target.closest('button'); if (!b) return;
    var k = b.getAttribute('data-k');
    if (k === 'del') pin = pin.slice(0, -1);
    else if (k === 'ok') { submitLogin(); return; }
    else if (pin.length < 12) pin += k;
    renderPin();
  });
  $('badge-change').addEventListener('click', resetLogin);
  $('badge-type').addEventListener('click', function () {
    $('badge-typed').hidden = false; $('badge-type').hidden = true; $('badge-input').focus();
  });
  $('badge-ok').addEventListener('click', function () {
    var b = $('badge-input').value.trim().toUpperCase(); if (b) gotBadge(b);
  });
  $('badge-input').addEventListener('keydown', function (e) { if (e.key === 'Enter') $('badge-ok').click(); });

  // ---------- requests from buttons
  function request(type, kind) {
    var id = reqID(type.charAt(0).toUpperCase());
    if (!send({ type: type, id: id })) { showNote(T.needOnline, 'red'); return; }
    pending[id] = kind;
  }
  $('logout').addEventListener('click', function () {
    if (queue.length) { showNote(T.waitScans, 'amber'); return; }
    request('logout', 'logout');
  });
  $('wait-next').addEventListener('click', function () { request('next', 'next'); });
  $('cancel-next').addEventListener('click', function () { request('next', 'next'); });

  // Number sheet for a short pick (found units) or a keyed quantity.
  var sheet = null;
  function openSheet(title, onOK) {
    sheet = { value: '', onOK: onOK };
    setBi($('modal-title'), title);
    $('modal-value').textContent = '0';
    $('modal').hidden = false;
  }
  $('num-pad').addEventListener('click', function (e) {
    var b = e.target.closest('button'); if (!b || !sheet) return;
    var k = b.getAttribute('data-k');
    if (k === 'cancel') { sheet = null; $('modal').hidden = true; return; }
    if (k === 'ok') { var n = parseInt(sheet.value || '0', 10), f = sheet.onOK; sheet = null; $('modal').hidden = true; f(n); return; }
    if (sheet.value.length < 5) sheet.value = (sheet.value + k).replace(/^0+(?=\d)/, '');
    $('modal-value').textContent = sheet.value || '0';
  });
  // The reason sheet: a pick line's reasons (then the units still in the
  // bin), or the pack station's (then, for a damaged or unreadable item,
  // the item scanned — or raised without it when it cannot be read).
  var PICK_REASONS = ['short_bin_empty', 'short_count_wrong', 'damaged', 'wrong_item_in_bin', 'label_unreadable'];
  var PACK_REASONS = ['missing_at_pack', 'damaged', 'label_unreadable'];
  var excPending = ''; // a pack reason waiting for the item's scan
  function closeReasons() { $('reasons').hidden = true; excPending = ''; }
  function openReasons(codes, onPick) {
    excPending = '';
    setBi($('reasons-title'), T.reasonTitle);
    var list = $('reason-list'); list.textContent = ''; list.hidden = false;
    $('reason-skip').hidden = true;
    codes.forEach(function (c) {
      var b = document.createElement('button'); b.type = 'button'; b.setAttribute('data-reason', c);
      var bi = document.createElement('span'); bi.className = 'bi';
      var zh = document.createElement('span'); zh.className = 'zh'; zh.textContent = T.reasons[c][0];
      var en = document.createElement('span'); en.className = 'en'; en.textContent = T.reasons[c][1];
      bi.appendChild(zh); bi.appendChild(en); b.appendChild(bi);
      b.addEventListener('click', function () { onPick(c); });
      list.appendChild(b);
    });
    $('reasons').hidden = false;
  }
  $('reason-cancel').addEventListener('click', closeReasons);
  $('reason-skip').addEventListener('click', function () {
    var r = excPending; closeReasons();
    if (r) enqueue({ type: 'exception', reason: r });
  });
  $('short-btn').addEventListener('click', function () {
    var missing = (prompt.qty || 0) - (prompt.picked || 0);
    openReasons(PICK_REASONS, function (reason) {
      closeReasons();
      openSheet(T.shortTitle(missing), function (found) { enqueue({ type: 'short', found: found, reason: reason }); });
    });
  });
  $('pack-exc-btn').addEventListener('click', function () {
    openReasons(PACK_REASONS, function (reason) {
      if (reason === 'missing_at_pack') { closeReasons(); enqueue({ type: 'exception', reason: reason }); return; }
      // Which item: the next scan names it.
      excPending = reason;
      setBi($('reasons-title'), T.scanExcItem);
      $('reason-list').hidden = true;
      $('reason-skip').hidden = false;
    });
  });
  $('qty-btn').addEventListener('click', function () {
    openSheet(T.qtyTitle, function (n) { keyedQty = n; if (n > 0) showNote(T.qtyNext(n), 'amber'); });
  });

  // ---------- scan capture
  //
  // Keyboard-wedge scanners type the barcode and a terminator (Enter or Tab)
  // into whatever has focus. The capture field is an <input inputmode="none">:
  // Android's Chrome then keeps the soft keyboard closed while the field is
  // focused, yet still delivers hardware keys and the text that scan services
  // (DataWedge & co.) commit through the input connection. The readonly trick
  // is avoided on purpose: a readonly field receives no committed text, which
  // is how several scan services deliver data.
  //
  // The reader is a small state machine fed with (key, time):
  //  - keys of one read come a few ms apart; a gap > 80 ms without a
  //    terminator marks a split delivery. Nothing is ever sent on a pause:
  //    the rest is joined if it follows within 1 s, and a fragment older
  //    than that (a half read that never got its terminator) is dropped.
  //  - a terminator ends the read; a terminator with nothing before it (the
  //    LF of CR LF) does nothing.
  //  - the same data again within 300 ms of the previous read is one trigger
  //    delivered twice: dropped here (the gateway would answer it
  //    duplicate_scan anyway).
  //  - GS (0x1D), typed as the character or as Ctrl+], is kept in the data.
  function Reader(onRead) {
    var SPLIT_MS = 80, STALE_MS = 1000, DOUBLE_MS = 300;
    var buf = '', lastKey = -Infinity, lastData = null, lastAt = -Infinity;
    var r = {
      log: [],
      key: function (k, t) {
        if (k === 'Enter' || k === 'Tab' || k === '\r' || k === '\n') return r.end(t);
        if (typeof k !== 'string' || k.length !== 1) return; // Shift, Alt…
        if (buf && t - lastKey > STALE_MS) { r.log.push({ dropped: buf, at: t }); buf = ''; }
        else if (buf && t - lastKey > SPLIT_MS) r.log.push({ split: buf, at: t });
        buf += k; lastKey = t;
      },
      end: function (t) {
        var data = buf; buf = '';
        if (!data) return;
        if (data === lastData && t - lastAt <= DOUBLE_MS) { r.log.push({ doubled: data, at: t }); lastAt = t; return; }
        lastData = data; lastAt = t;
        onRead(data);
      },
      // wouldAccept says whether data read now would be a new read (tests
      // wait on it before scanning the same unit's barcode again).
      wouldAccept: function (data, t) { return data !== lastData || t - lastAt > DOUBLE_MS; },
      pending: function () { return buf; }
    };
    return r;
  }
  var reader = Reader(onRead);
  window.fgReader = reader;
  // The camera scan mode (camera.js) hands its reads in here, past the
  // keyboard reader: a camera read has no keystrokes to assemble.
  window.fgCameraRead = function (data, extra) { onRead(data, extra || {}); };
  window.fgNewReader = Reader; // for tests of the guards with a made-up clock

  // A symbology identifier the scanner was set to transmit (]C1, ]E0 …)
  // goes to aim; data is sent without it (§3). A read by the camera
  // (camera.js) comes with extra: its aim and the symbol's geometry (§10).
  function onRead(data, extra) {
    var aim = (extra && extra.aim) || '';
    if (/^\][A-Za-z][0-9A-Za-z]/.test(data)) { aim = data.slice(0, 3); data = data.slice(3); }
    if (!data) return;
    if (!$('modal').hidden) return; // the number sheet is open: not a pick scan
    if (!$('reasons').hidden) {
      // The reason sheet is open: a scan names the item of a pack exception.
      if (excPending) {
        var em = { type: 'exception', reason: excPending, data: data };
        if (aim) em.aim = aim;
        closeReasons(); enqueue(em);
      }
      return;
    }
    var screen = body.getAttribute('data-screen');
    if (screen === 'login') { gotBadge(data); return; }
    if (screen === 'station') { if (stations.indexOf(data) >= 0) chooseStation(data); return; }
    if (screen === 'pair' || screen === 'connecting' && !queue.length && !prompt.step || screen === 'message') return;
    clearAlarm();
    var msg = { type: 'scan', data: data, device_time: new Date().toISOString() };
    if (aim) msg.aim = aim;
    if (extra && extra.geometry) msg.geometry = extra.geometry;
    if (keyedQty > 0) { msg.qty = keyedQty; keyedQty = 0; }
    enqueue(msg);
  }

  function typingField(el) { return el && (el.id === 'badge-input' || el.id === 'pair-code' || !!(el.classList && el.classList.contains('typing'))); }
  // Terminators (and GS sent as Ctrl+]) come as keydown; printable
  // characters as keypress, which a key event that types text always has
  // and an IME-style commit never has. Both are cancelled, so the field
  // stays empty and a character is never read twice.
  window.addEventListener('keydown', function (e) {
    if (typingField(e.target)) return;
    var k = e.key;
    if (e.ctrlKey && (k === ']' || e.code === 'BracketRight')) k = '\x1d';
    else if (k !== 'Enter' && k !== 'Tab') return;
    e.preventDefault();
    reader.key(k, e.timeStamp || performance.now());
  }, true);
  window.addEventListener('keypress', function (e) {
    if (typingField(e.target) || e.ctrlKey || e.altKey || e.metaKey) return;
    var k = e.key;
    if (k === 'Enter') { e.preventDefault(); return; } // already ended on keydown
    if (k.length !== 1) return;
    e.preventDefault();
    reader.key(k, e.timeStamp || performance.now());
  }, true);
  // Text committed without key events (an IME-style scan service) arrives as
  // input: feed it through the same reader.
  capture.addEventListener('input', function (e) {
    var v = capture.value; capture.value = '';
    var t = e.timeStamp || performance.now();
    for (var i = 0; i < v.length; i++) reader.key(v[i] === '\n' || v[i] === '\r' ? 'Enter' : v[i], t);
  });

  // The field never keeps losing focus: back to it after a blur, a tap, or
  // the page coming back to the foreground. Typing fields (badge, pairing
  // code) keep it while in use.
  function refocus() {
    if (typingField(document.activeElement)) return;
    if (document.activeElement !== capture) capture.focus({ preventScroll: true });
  }
  capture.addEventListener('blur', function () { setTimeout(refocus, 0); });
  ['badge-input', 'pair-code', 'cam-x', 'cam-z'].forEach(function (id) { $(id).addEventListener('blur', function () { setTimeout(refocus, 0); }); });
  document.addEventListener('visibilitychange', function () { if (!document.hidden) refocus(); });
  window.addEventListener('focus', refocus);
  document.addEventListener('click', function () { setTimeout(refocus, 0); });
  // Buttons do not take focus from the field when tapped.
  ['pointerdown', 'mousedown'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      if (e.target.closest && e.target.closest('button') && !typingField(document.activeElement)) e.preventDefault();
    });
  });

  // ---------- language
  function setLang(l) { body.classList.toggle('en-first', l === 'en'); $('lang').textContent = l === 'en' ? '中文' : 'EN'; save(K.lang, l); }
  setLang(load(K.lang) || 'zh');
  $('lang').addEventListener('click', function () { setLang(body.classList.contains('en-first') ? 'zh' : 'en'); });

  // ---------- for tests and support: a snapshot of the state
  window.fgState = function () {
    return { device: device, screen: body.getAttribute('data-screen'), online: !!(ws && welcomed), step: prompt.step,
      prompt: prompt, queue: queue.map(function (q) { return q.scan_id; }), inflight: inflight, operator: operator,
      station: station, stations: stations };
  };

  // ---------- start
  body.classList.remove('boot');
  refocus();
  var params = new URLSearchParams(location.search), code = params.get('pair');
  if (code) {
    history.replaceState(null, '', location.pathname);
    $('pair-code').value = code;
    showPairing(null);
    pair(code);
  } else {
    connect();
  }
})();
