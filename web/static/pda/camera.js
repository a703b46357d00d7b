// floorgate PDA web app: the camera scan mode (docs/pda-protocol.md §10).
//
// The rear camera decodes with the browser's BarcodeDetector where the
// device has one that reads Code 128, else with the ZXing WebAssembly
// ponyfill the gateway serves from decoder/ (installed by `make deps`; a
// binary built without it says so here, and the scanner keeps working).
// Nothing is fetched from anywhere but the gateway.
//
// Each read goes to app.js (fgCameraRead) with the symbol's geometry: its
// four corners in the analysed frame's pixels, that frame's width, and the
// focal length in pixels for that width when this device was calibrated
// (else the gateway uses the one enrolled for the device's model). The
// gateway computes the distance; this file decides nothing about it.
//
// Calibration: a location label floorgate printed, held at a measured
// distance (10 cm), gives focal_px = L_px · Z_mm / W_mm, with W_mm the
// symbol's printed width: 11·(k+2)+13 modules of the label's X-dimension
// for k Code 128 symbol characters, counted as the gateway counts them
// (scan/distance.go). It is kept in localStorage with the frame width it
// was measured at, and scaled to the frame being analysed.
'use strict';
(function () {
  var KEY = 'fg.camera';
  var X_DEFAULT = 0.375; // the X-dimension floorgate prints location labels at
  var Z_DEFAULT = 100;   // "hold it at exactly 10 cm"
  var GONE_MS = 1000;    // the same code is read again once out of sight this long
  var CAL_READS = 5;     // calibration: the median of this many reads
  var T = {
    starting: ['正在打开相机…', 'Opening the camera…'],
    loading: ['正在加载解码器…', 'Loading the decoder…'],
    aim: ['对准条码，距离 5–10 厘米', 'Aim at the barcode from 5–10 cm'],
    noDecoder: ['本网关未安装相机解码器，请使用扫描枪', 'This gateway has no camera decoder installed. Use the scanner.'],
    noCamera: ['无法打开相机（未授权或无相机）', 'The camera could not be opened (not allowed, or none)'],
    insecure: ['相机需要 HTTPS 连接网关', 'The camera needs the gateway over HTTPS'],
    uncal: ['未校准：由网关按机型估算距离', 'Not calibrated: the gateway uses its model profile'],
    cal: function (f, w) { return ['已校准：焦距 ' + Math.round(f) + ' 像素（画面宽 ' + w + '）', 'Calibrated: focal length ' + Math.round(f) + ' px (frame ' + w + ' px wide)']; },
    calHold: ['将相机正对库位标签，保持在下方距离，不要晃动', 'Hold the camera square to a location label at the distance below, and keep still'],
    calRead: function (n) { return ['正在测量… ' + n + '/' + CAL_READS, 'Measuring… ' + n + '/' + CAL_READS]; },
    calNotLoc: ['请扫描 Code 128 库位标签', 'Scan a Code 128 location label'],
    calBad: ['请输入标签模块宽度和距离（毫米）', 'Enter the label\'s X-dimension and the distance in mm'],
    calDone: ['校准完成，可以扫描', 'Calibration done: scan away']
  };

  var $ = function (id) { return document.getElementById(id); };
  var body = document.body;
  function setBi(el, pair) { el.querySelector('.zh').textContent = pair[0]; el.querySelector('.en').textContent = pair[1]; }
  function status(pair, kind) { setBi($('cam-status'), pair); $('cam-status').setAttribute('data-kind', kind || ''); }

  function loadCal() {
    try {
      var c = JSON.parse(localStorage.getItem(KEY) || 'null');
      return c && c.focal_px > 0 && c.image_width > 0 ? c : null;
    } catch (e) { return null; }
  }
  function saveCal(c) { try { localStorage.setItem(KEY, JSON.stringify(c)); } catch (e) { /* kept for this page only */ } calib = c; }
  var calib = loadCal();

  // ---------- the decoder
  var detector = null, decoderPromise = null, engine = '';
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function decoder() {
    if (decoderPromise) return decoderPromise;
    var native = window.BarcodeDetector && window.BarcodeDetector.getSupportedFormats ?
      window.BarcodeDetector.getSupportedFormats().catch(function () { return []; }) : Promise.resolve([]);
    decoderPromise = native.then(function (formats) {
      if (formats.indexOf('code_128') >= 0) {
        engine = 'native';
        return new window.BarcodeDetector({ formats: formats });
      }
      return loadScript('decoder/barcode-detector.js').then(function () {
        var api = window.BarcodeDetectionAPI;
        var wasm = new URL('decoder/zxing_reader.wasm', location.href).href;
        // The ponyfill would fetch its .wasm from a CDN: point it here.
        return api.prepareZXingModule({
          overrides: { locateFile: function (path, prefix) { return path.slice(-5) === '.wasm' ? wasm : prefix + path; } },
          fireImmediately: true
        }).then(function () {
          engine = 'zxing-wasm';
          return new api.BarcodeDetector({ formats: ['code_128', 'ean_13', 'ean_8', 'upc_a', 'qr_code', 'data_matrix'] });
        });
      });
    });
    decoderPromise.catch(function () { decoderPromise = null; });
    return decoderPromise;
  }

  // ---------- the camera
  var stream = null, video = $('cam-video'), canvas = document.createElement('canvas'), timer = 0, busy = false;
  var mode = 'off'; // off, scan, calibrate
  var last = { data: '', seen: 0 }, calReads = [];
  window.fgCamera = { reads: [], state: function () { return { mode: mode, engine: engine, calibration: calib, frame: canvas.width, reading: !!stream }; } };

  function open(m) {
    mode = m;
    body.classList.add('camera-on');
    $('cam-btn').classList.add('on');
    $('cam-cal').hidden = m !== 'calibrate';
    $('cam-cal-btn').hidden = m === 'calibrate';
    last = { data: '', seen: 0 }; calReads = [];
    if (m === 'calibrate') status(T.calHold); else status(T.starting);
    if (stream) { if (m === 'scan') status(T.aim); return; }
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status(T.insecure, 'bad'); return; }
    status(T.loading);
    decoder().then(function (d) {
      detector = d;
      if (mode === 'off') return null;
      status(T.starting);
      return navigator.mediaDevices.getUserMedia({ audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } } })
        .then(function (s) {
          if (mode === 'off') { s.getTracks().forEach(function (t) { t.stop(); }); return; }
          stream = s; video.srcObject = s;
          return video.play().then(function () {
            if (mode === 'calibrate') status(T.calHold); else status(T.aim);
            showCal(); tick();
          });
        }, function () { status(T.noCamera, 'bad'); });
    }, function () { status(T.noDecoder, 'bad'); });
  }
  function close() {
    mode = 'off';
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; video.srcObject = null;
    body.classList.remove('camera-on');
    $('cam-btn').classList.remove('on');
  }

  function tick() {
    clearTimeout(timer);
    if (!stream || mode === 'off') return;
    if (busy || !video.videoWidth) { timer = setTimeout(tick, 100); return; }
    // The frame is analysed at the camera's own size: the corners, the
    // width and the focal length are then in one pixel space (§10).
    var w = video.videoWidth, h = video.videoHeight;
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    var ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, h);
    busy = true;
    detector.detect(canvas).then(function (codes) { busy = false; onFrame(codes || [], w); },
      function () { busy = false; }).then(function () { timer = setTimeout(tick, 80); });
  }

  // width is a symbol's length in the image: the mean of its top and bottom
  // edges, as the gateway measures it.
  function edge(c) { return (Math.hypot(c[1].x - c[0].x, c[1].y - c[0].y) + Math.hypot(c[2].x - c[3].x, c[2].y - c[3].y)) / 2; }

  function onFrame(codes, frameW) {
    if (mode === 'off') return;
    var best = null;
    codes.forEach(function (c) {
      if (!c.rawValue || !c.cornerPoints || c.cornerPoints.length !== 4) return;
      if (!best || edge(c.cornerPoints) > edge(best.cornerPoints)) best = c;
    });
    var now = performance.now();
    if (!best) return;
    if (mode === 'calibrate') { calibrate(best, frameW); return; }
    var data = best.rawValue;
    var again = data === last.data && now - last.seen < GONE_MS;
    last.seen = now;
    if (again) return; // still the same read in view
    last.data = data;
    var corners = best.cornerPoints.map(function (p) { return { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 }; });
    var g = { corners: corners, image_width: frameW };
    if (calib) g.focal_px = Math.round(calib.focal_px * frameW / calib.image_width * 10) / 10;
    var aim = best.format === 'ean_13' || best.format === 'upc_a' ? ']E0' : best.format === 'ean_8' ? ']E4' : '';
    window.fgCamera.reads.push({ data: data, format: best.format, geometry: g });
    if (window.fgCameraRead) window.fgCameraRead(data, { aim: aim, geometry: g });
  }

  // ---------- calibration
  function num(id) { var v = parseFloat(String($(id).value).replace(',', '.')); return v > 0 && isFinite(v) ? v : 0; }
  function calibrate(c, frameW) {
    if (c.format !== 'code_128') { status(T.calNotLoc, 'bad'); return; }
    var x = num('cam-x'), z = num('cam-z'), k = code128Chars(c.rawValue);
    if (!x || !z) { status(T.calBad, 'bad'); return; }
    if (!k) { status(T.calNotLoc, 'bad'); return; }
    calReads.push(edge(c.cornerPoints));
    if (calReads.length < CAL_READS) { status(T.calRead(calReads.length)); return; }
    var s = calReads.slice().sort(function (a, b) { return a - b; }), l = s[s.length >> 1];
    var wmm = (11 * (k + 2) + 13) * x;
    saveCal({ focal_px: Math.round(l * z / wmm * 10) / 10, image_width: frameW, label: c.rawValue, x_mm: x, distance_mm: z, at: new Date().toISOString() });
    calReads = [];
    mode = 'scan';
    $('cam-cal').hidden = true; $('cam-cal-btn').hidden = false;
    status(T.calDone, 'good');
    showCal();
    last = { data: c.rawValue, seen: performance.now() }; // the label in view is not a pick scan
  }
  function showCal() { setBi($('cam-focal'), calib ? T.cal(calib.focal_px, calib.image_width) : T.uncal); }

  // code128Chars counts Code 128 symbol characters as scan/distance.go does:
  // code set B one a character, runs of 4+ digits in code set C two a
  // character with the switches they need, an even all-digit string in C.
  function code128Chars(s) {
    if (!s) return 0;
    var i, k = 0, dig = function (ch) { return ch >= '0' && ch <= '9'; };
    for (i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return 0;
    if (s.length % 2 === 0 && /^[0-9]+$/.test(s)) return s.length / 2;
    for (i = 0; i < s.length;) {
      if (!dig(s[i])) { k++; if (s.charCodeAt(i) < 0x20) k++; i++; continue; }
      var j = i; while (j < s.length && dig(s[j])) j++;
      var run = j - i;
      if (run < 4) { k += run; i = j; continue; }
      k += (run >> 1) + run % 2;
      var sw = (i > 0 ? 1 : 0) + (j < s.length ? 1 : 0);
      k += sw || 1;
      i = j;
    }
    return k;
  }
  window.fgCamera.code128Chars = code128Chars;

  // ---------- the buttons
  $('cam-x').value = String(X_DEFAULT); $('cam-z').value = String(Z_DEFAULT);
  $('cam-btn').addEventListener('click', function () { if (mode === 'off') open('scan'); else close(); });
  $('cam-off').addEventListener('click', close);
  $('cam-cal-btn').addEventListener('click', function () { open('calibrate'); });
  $('cam-cal-open').addEventListener('click', function () { open('calibrate'); });
  $('cam-cal-cancel').addEventListener('click', function () { open('scan'); });
  // A screen with nothing to scan closes the camera.
  new MutationObserver(function () {
    var s = body.getAttribute('data-screen');
    if (mode !== 'off' && (s === 'pair' || s === 'connecting' || s === 'message')) close();
  }).observe(body, { attributes: true, attributeFilter: ['data-screen'] });
  showCal();
})();
