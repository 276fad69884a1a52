// The dashboard's client code (plain ES2017, no build step), served inline in the page. Hash routes:
// #/ runs table, #/run/<id> one run, #/compare/<a>/<b>. Reads the JSON API, or the data embedded by a
// static export. Written without template literals so it can live in this String.raw literal.
export const APP_SCRIPT = String.raw`(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var dataEl = document.getElementById('glassbox-data');
  var EMBED = dataEl ? JSON.parse(dataEl.textContent) : null;
  var root = document.getElementById('app');

  // ---------- DOM helpers (text only goes through textContent: model output is never parsed as HTML)
  function build(ns, tag, attrs, children) {
    var el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') el.textContent = String(v);
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' && !ns) el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    append(el, children);
    return el;
  }
  function append(el, children) {
    if (children === undefined || children === null) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === undefined || c === null || c === false) return;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
  }
  function h(tag, attrs, children) { return build(null, tag, attrs, children); }
  function s(tag, attrs, children) { return build(SVGNS, tag, attrs, children); }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  // ---------- formatting
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '-';
    if (isNum(v)) return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 4 : digits);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'object' && 'value' in v) return fmt(v.value, digits);
    return String(v);
  }
  function metricParts(v, ciMap, name) {
    var value = v, lo = null, hi = null;
    if (v && typeof v === 'object' && 'value' in v) {
      value = v.value; lo = isNum(v.lo) ? v.lo : null; hi = isNum(v.hi) ? v.hi : null;
      if (Array.isArray(v.ci)) { lo = v.ci[0]; hi = v.ci[1]; }
    }
    if (lo === null && ciMap && Array.isArray(ciMap[name])) { lo = ciMap[name][0]; hi = ciMap[name][1]; }
    if (lo === null && ciMap && ciMap[name] && typeof ciMap[name] === 'object') { lo = ciMap[name].lo; hi = ciMap[name].hi; }
    return { value: value, lo: isNum(lo) ? lo : null, hi: isNum(hi) ? hi : null };
  }
  function shortTime(iso) { return iso ? String(iso).replace('T', ' ').slice(0, 19) : '-'; }
  function statusBadge(st) { return h('span', { class: 'status status-' + st, text: st }); }
  function runTitle(run) { return run.name ? run.name + ' (' + run.id + ')' : run.id; }

  // ---------- data access: HTTP API, or the data embedded in an exported page
  function qs(params) {
    return Object.keys(params).filter(function (k) {
      return params[k] !== undefined && params[k] !== null && params[k] !== '';
    }).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
  }
  function getJson(path, params) {
    params = params || {};
    if (EMBED) {
      try { return Promise.resolve(staticApi(path, params)); } catch (e) { return Promise.reject(e); }
    }
    var q = qs(params);
    return fetch(path + (q ? '?' + q : ''), { headers: { Accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body && body.error ? body.error : r.statusText);
        return body;
      });
    });
  }
  function staticApi(path, p) {
    if (path === '/api/runs') {
      return { total: EMBED.runs.length, kinds: EMBED.runs.map(function (r) { return r.kind; }), runs: EMBED.runs };
    }
    var m = /^\/api\/runs\/([^/]+)(?:\/(records|series))?$/.exec(path);
    if (m && m[2] === 'records') {
      var list = EMBED.records[p.type || ''] || [];
      var off = Number(p.offset) || 0, lim = Number(p.limit) || 20;
      return { offset: off, limit: lim, total: list.length, records: list.slice(off, off + lim) };
    }
    if (m && m[2] === 'series') return EMBED.series[p.type || 'step'] || { points: [], fields: [], total: 0 };
    if (m) return EMBED.detail;
    throw new Error('this exported page holds one run only');
  }

  // ---------- layout
  function header(crumbs) {
    var nav = h('nav', { class: 'top' }, [h('a', { href: EMBED ? null : '#/', class: 'brand', text: 'glassbox' })]);
    crumbs.forEach(function (c) { append(nav, [h('span', { class: 'sep', text: '/' }), c]); });
    if (EMBED) append(nav, h('span', { class: 'exported', text: 'exported ' + shortTime(EMBED.exportedAt) }));
    return nav;
  }
  function card(title, body, attrs) {
    var a = attrs || {};
    a.class = 'card' + (a.class ? ' ' + a.class : '');
    return h('section', a, [title ? h('h2', { text: title }) : null].concat(body));
  }
  function showError(err) {
    append(root, h('div', { class: 'error', role: 'alert', text: 'Error: ' + (err && err.message ? err.message : String(err)) }));
  }

  // ---------- charts
  function niceTicks(lo, hi, count) {
    if (!(hi > lo)) { hi = lo + 1; }
    var raw = (hi - lo) / count;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (k) { return k * mag; }).filter(function (st) { return st >= raw; })[0] || mag * 10;
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
    return ticks;
  }
  function tickText(t) { return String(Number(Number(t).toPrecision(6))); }
  function frame(svg, box, xTicks, yTicks, xLabel, yLabel, fx, fy, xFmt) {
    yTicks.forEach(function (t) {
      append(svg, [
        s('line', { class: 'grid', x1: box.l, x2: box.l + box.w, y1: fy(t), y2: fy(t) }),
        s('text', { class: 'tick', x: box.l - 6, y: fy(t) + 4, 'text-anchor': 'end', text: tickText(t) })
      ]);
    });
    xTicks.forEach(function (t) {
      append(svg, s('text', { class: 'tick', x: fx(t), y: box.t + box.h + 16, 'text-anchor': 'middle', text: xFmt ? xFmt(t) : tickText(t) }));
    });
    append(svg, [
      s('rect', { class: 'axes', x: box.l, y: box.t, width: box.w, height: box.h }),
      s('text', { class: 'axis-label', x: box.l + box.w / 2, y: box.t + box.h + 34, 'text-anchor': 'middle', text: xLabel }),
      s('text', { class: 'axis-label', x: 14, y: box.t + box.h / 2, 'text-anchor': 'middle', transform: 'rotate(-90 14 ' + (box.t + box.h / 2) + ')', text: yLabel })
    ]);
  }
  function clamp01(v, dflt) { return isNum(v) ? Math.min(1, Math.max(0, v)) : dflt; }

  function reliabilitySvg(bins, id) {
    var W = 400, H = 360, box = { l: 52, t: 16, w: 330, h: 290 };
    var svg = s('svg', { id: id, class: 'chart reliability', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': 'reliability diagram' });
    function fx(c) { return box.l + c * box.w; }
    function fy(a) { return box.t + (1 - a) * box.h; }
    var ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
    frame(svg, box, ticks, ticks, 'confidence', 'accuracy', fx, fy);
    append(svg, s('line', { class: 'diagonal', x1: fx(0), y1: fy(0), x2: fx(1), y2: fy(1) }));
    bins.forEach(function (b, i) {
      var lo = clamp01(b.lo, i / bins.length), hi = clamp01(b.hi, (i + 1) / bins.length);
      var n = b.n || 0, acc = isNum(b.acc) ? b.acc : 0, conf = isNum(b.conf) ? b.conf : (lo + hi) / 2;
      var x = fx(lo) + 1, w = Math.max(1, fx(hi) - fx(lo) - 2);
      var tip = 'bin ' + (isNum(b.bin) ? b.bin : i) + ' [' + fmt(lo, 2) + ', ' + fmt(hi, 2) + '): n = ' + n +
        (n > 0 ? ', accuracy ' + fmt(acc, 3) + ', mean confidence ' + fmt(conf, 3) : '');
      var bar = s('rect', {
        class: 'bar', x: x, width: w, y: fy(n > 0 ? acc : 0), height: n > 0 ? fy(0) - fy(acc) : 0,
        'data-bin': isNum(b.bin) ? b.bin : i, 'data-n': n, 'data-acc': n > 0 ? acc : '', 'data-conf': n > 0 ? conf : '',
        'data-lo': lo, 'data-hi': hi
      }, s('title', { text: tip }));
      append(svg, bar);
      if (n > 0) {
        append(svg, s('rect', { class: 'gap', x: x, width: w, y: fy(Math.max(acc, conf)), height: Math.abs(fy(acc) - fy(conf)) }, s('title', { text: 'gap |acc - conf| = ' + fmt(Math.abs(acc - conf), 3) })));
        append(svg, s('text', { class: 'bin-n', 'data-bin': isNum(b.bin) ? b.bin : i, x: x + w / 2, y: Math.max(box.t + 10, fy(Math.max(acc, conf)) - 4), 'text-anchor': 'middle', text: String(n) }));
      }
    });
    append(svg, [
      s('rect', { class: 'legend-bar', x: box.l + 8, y: box.t + 6, width: 10, height: 10 }),
      s('text', { class: 'legend', x: box.l + 22, y: box.t + 15, text: 'accuracy (n above)' }),
      s('rect', { class: 'legend-gap', x: box.l + 8, y: box.t + 22, width: 10, height: 10 }),
      s('text', { class: 'legend', x: box.l + 22, y: box.t + 31, text: 'gap to mean confidence' })
    ]);
    return svg;
  }

  function histogramBins(summary) {
    var hist = summary.histogram;
    if (Array.isArray(hist)) return hist.map(function (b, i) { return { bin: i, lo: b.lo, hi: b.hi, n: b.n !== undefined ? b.n : b.count }; });
    if (hist && Array.isArray(hist.counts) && Array.isArray(hist.edges)) {
      return hist.counts.map(function (n, i) { return { bin: i, lo: hist.edges[i], hi: hist.edges[i + 1], n: n }; });
    }
    return (summary.reliability || []).map(function (b, i) { return { bin: i, lo: b.lo, hi: b.hi, n: b.n }; });
  }

  function histogramSvg(bins, id) {
    var W = 400, H = 360, box = { l: 52, t: 16, w: 330, h: 290 };
    var svg = s('svg', { id: id, class: 'chart histogram', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': 'confidence histogram' });
    var max = Math.max.apply(null, [1].concat(bins.map(function (b) { return b.n || 0; })));
    var yTicks = niceTicks(0, max, 5);
    var top = yTicks[yTicks.length - 1] || max;
    function fx(c) { return box.l + c * box.w; }
    function fy(n) { return box.t + (1 - n / top) * box.h; }
    frame(svg, box, [0, 0.2, 0.4, 0.6, 0.8, 1], yTicks, 'confidence', 'count', fx, fy, null);
    bins.forEach(function (b, i) {
      var lo = clamp01(b.lo, i / bins.length), hi = clamp01(b.hi, (i + 1) / bins.length), n = b.n || 0;
      append(svg, s('rect', { class: 'hbar', 'data-bin': i, 'data-n': n, x: fx(lo) + 1, width: Math.max(1, fx(hi) - fx(lo) - 2), y: fy(n), height: fy(0) - fy(n) },
        s('title', { text: '[' + fmt(lo, 2) + ', ' + fmt(hi, 2) + '): ' + n })));
    });
    return svg;
  }

  var SERIES_CLASSES = ['s0', 's1', 's2', 's3', 's4', 's5'];
  function lineChart(id, opts) {
    var W = opts.width || 520, H = 320, box = { l: 60, t: 16, w: W - 80, h: 250 };
    var svg = s('svg', { id: id, class: 'chart line', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': opts.title || 'chart' });
    var xs = [], ys = [];
    opts.series.forEach(function (se) { se.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    if (xs.length === 0) { append(svg, s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', text: 'no data' })); return svg; }
    var tx = opts.logX ? function (v) { return Math.log2(Math.max(v, 1e-12)); } : function (v) { return v; };
    var xMin = Math.min.apply(null, xs.map(tx)), xMax = Math.max.apply(null, xs.map(tx));
    if (xMax === xMin) { xMax = xMin + 1; }
    var yMin = Math.min.apply(null, ys), yMax = Math.max.apply(null, ys);
    if (opts.yRange) { yMin = Math.min(yMin, opts.yRange[0]); yMax = Math.max(yMax, opts.yRange[1]); }
    if (yMax === yMin) { var dy = Math.abs(yMin) * 0.1 || 1; yMax = yMin + dy; yMin = yMin - dy; }
    var pad = (yMax - yMin) * 0.05; yMin -= opts.yRange ? 0 : pad; yMax += opts.yRange ? 0 : pad;
    var yTicks = niceTicks(yMin, yMax, 5);
    function fx(v) { return box.l + (tx(v) - xMin) / (xMax - xMin) * box.w; }
    function fy(v) { return box.t + (1 - (v - yMin) / (yMax - yMin)) * box.h; }
    var xTicks = opts.logX ? xs.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; })
      : niceTicks(xMin, xMax, 6);
    frame(svg, box, xTicks, yTicks.filter(function (t) { return t >= yMin && t <= yMax; }), opts.xLabel, opts.yLabel, fx, fy, function (t) { return String(Math.round(t * 100) / 100); });
    opts.series.forEach(function (se, k) {
      var cls = SERIES_CLASSES[k % SERIES_CLASSES.length];
      var d = se.points.map(function (p, i) { return (i ? 'L' : 'M') + fx(p[0]).toFixed(1) + ' ' + fy(p[1]).toFixed(1); }).join(' ');
      append(svg, s('path', { class: 'series ' + cls, d: d, 'data-series': se.name, 'data-points': se.points.length }));
      if (se.points.length <= 40) se.points.forEach(function (p) {
        append(svg, s('circle', { class: 'dot ' + cls, cx: fx(p[0]), cy: fy(p[1]), r: 3 }, s('title', { text: se.name + ': ' + fmt(p[0]) + ' -> ' + fmt(p[1]) })));
      });
      append(svg, [
        s('line', { class: 'series ' + cls, x1: box.l + 10, x2: box.l + 28, y1: box.t + 12 + k * 16, y2: box.t + 12 + k * 16 }),
        s('text', { class: 'legend', x: box.l + 34, y: box.t + 16 + k * 16, text: se.name })
      ]);
    });
    return svg;
  }

  // ---------- runs table
  var runsState = { kind: '', status: '', q: '', sort: 'createdAt', order: 'desc', selected: [] };
  var HEADLINE = ['accuracy', 'auroc', 'brier', 'ece', 'loss', 'reward'];

  function headline(metrics) {
    if (!metrics) return '';
    var names = HEADLINE.filter(function (n) { return n in metrics; });
    if (names.length === 0) names = Object.keys(metrics).slice(0, 3);
    return names.slice(0, 4).map(function (n) { return n + ' ' + fmt(metrics[n], 3); }).join('  ');
  }

  function showRuns() {
    append(root, header([h('span', { text: 'runs' })]));
    var kindSel = h('select', { id: 'filter-kind', 'aria-label': 'kind' }, h('option', { value: '', text: 'all kinds' }));
    var statusSel = h('select', { id: 'filter-status', 'aria-label': 'status' }, ['', 'running', 'completed', 'failed'].map(function (st) {
      return h('option', { value: st, text: st || 'any status' });
    }));
    var text = h('input', { id: 'filter-text', type: 'search', placeholder: 'search id, name, kind', value: runsState.q });
    var compareBtn = h('button', { id: 'compare-btn', type: 'button', disabled: true, text: 'Compare selected (0/2)' });
    var count = h('span', { class: 'muted', id: 'runs-count' });
    var table = h('table', { id: 'runs-table', class: 'runs' });
    append(root, card(null, [h('div', { class: 'toolbar' }, [kindSel, statusSel, text, compareBtn, count]), table]));
    statusSel.value = runsState.status;
    var timer = null, pollTimer = null;
    kindSel.addEventListener('change', function () { runsState.kind = kindSel.value; load(); });
    statusSel.addEventListener('change', function () { runsState.status = statusSel.value; load(); });
    text.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { runsState.q = text.value; load(); }, 150); });
    compareBtn.addEventListener('click', function () {
      if (runsState.selected.length === 2) location.hash = '#/compare/' + runsState.selected.map(encodeURIComponent).join('/');
    });
    function updateCompare() {
      compareBtn.disabled = runsState.selected.length !== 2;
      compareBtn.textContent = 'Compare selected (' + runsState.selected.length + '/2)';
    }
    var columns = [['id', 'id'], ['name', 'name'], ['kind', 'kind'], ['status', 'status'], ['records', 'records'], ['createdAt', 'created (UTC)'], [null, 'metrics']];
    function load() {
      getJson('/api/runs', { kind: runsState.kind, status: runsState.status, q: runsState.q, sort: runsState.sort, order: runsState.order })
        .then(render).catch(showError);
    }
    function render(data) {
      if (kindSel.options.length <= 1) {
        data.kinds.forEach(function (k) { append(kindSel, h('option', { value: k, text: k })); });
        kindSel.value = runsState.kind;
      }
      count.textContent = data.runs.length + ' of ' + data.total + ' runs';
      clear(table);
      var tr = h('tr', null, h('th', { class: 'sel' }, ''));
      columns.forEach(function (c) {
        var arrow = c[0] === runsState.sort ? (runsState.order === 'asc' ? ' \u25b2' : ' \u25bc') : '';
        append(tr, h('th', c[0] ? { 'data-sort': c[0], class: 'sortable', onclick: function () {
          if (runsState.sort === c[0]) runsState.order = runsState.order === 'asc' ? 'desc' : 'asc';
          else { runsState.sort = c[0]; runsState.order = c[0] === 'createdAt' || c[0] === 'records' ? 'desc' : 'asc'; }
          load();
        } } : null, c[1] + arrow));
      });
      append(table, h('thead', null, tr));
      var body = h('tbody');
      runsState.selected = runsState.selected.filter(function (id) { return data.runs.some(function (r) { return r.id === id; }); });
      data.runs.forEach(function (r) {
        var box = h('input', { type: 'checkbox', class: 'select-run', 'data-run-id': r.id, 'aria-label': 'select ' + r.id });
        box.checked = runsState.selected.indexOf(r.id) >= 0;
        box.addEventListener('change', function () {
          if (box.checked) { runsState.selected.push(r.id); if (runsState.selected.length > 2) runsState.selected.shift(); }
          else runsState.selected = runsState.selected.filter(function (x) { return x !== r.id; });
          Array.prototype.forEach.call(table.querySelectorAll('input.select-run'), function (b) {
            b.checked = runsState.selected.indexOf(b.getAttribute('data-run-id')) >= 0;
          });
          updateCompare();
        });
        append(body, h('tr', { 'data-run-id': r.id, 'data-kind': r.kind, 'data-status': r.status }, [
          h('td', { class: 'sel' }, box),
          h('td', { class: 'mono' }, h('a', { href: '#/run/' + encodeURIComponent(r.id), text: r.id })),
          h('td', { text: r.name || '' }),
          h('td', { text: r.kind }),
          h('td', null, statusBadge(r.status)),
          h('td', { class: 'num', text: String(r.records) }),
          h('td', { text: shortTime(r.createdAt) }),
          h('td', { class: 'metrics-cell', text: headline(r.metrics) })
        ]));
      });
      // while runs are being written, refresh the table every few seconds (until the view changes)
      if (!EMBED && data.runs.some(function (r) { return r.status === 'running'; })) {
        var token = routeToken;
        clearTimeout(pollTimer);
        pollTimer = setTimeout(function () { if (token === routeToken) load(); }, 4000);
      }
      if (data.runs.length === 0) append(body, h('tr', null, h('td', { colspan: 8, class: 'muted', text: 'no runs match' })));
      append(table, body);
      updateCompare();
    }
    load();
  }

  // ---------- one run
  function metricsTable(metrics, ciMap, id) {
    var t = h('table', { id: id || 'metrics-table', class: 'metrics' }, h('thead', null, h('tr', null, [h('th', { text: 'metric' }), h('th', { text: 'value' }), h('th', { text: '95% CI' })])));
    var body = h('tbody');
    Object.keys(metrics || {}).forEach(function (name) {
      var p = metricParts(metrics[name], ciMap, name);
      if (p.value !== null && typeof p.value === 'object') return;
      append(body, h('tr', { 'data-metric': name, 'data-value': isNum(p.value) ? p.value : '' }, [
        h('td', { text: name }), h('td', { class: 'num', text: fmt(p.value) }),
        h('td', { class: 'num muted', text: p.lo !== null ? '[' + fmt(p.lo) + ', ' + fmt(p.hi) + ']' : '' })
      ]));
    });
    append(t, body);
    return t;
  }

  function highlightCompletion(text) {
    var out = h('div', { class: 'completion' });
    var parts = String(text || '').split(/(<\/?(?:think|answer|analysis|confidence)>)/);
    var current = null;
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var name = part.replace(/[<>/]/g, '');
        append(out, h('span', { class: 'tag tag-' + name, text: part }));
        current = part.charAt(1) === '/' ? null : name;
      } else if (part) {
        append(out, current ? h('span', { class: 'seg seg-' + current, text: part }) : document.createTextNode(part));
      }
    });
    return out;
  }

  function verdictOf(rec) {
    if (rec.correct === true || rec.correct === 1) return ['correct', 'ok'];
    if (rec.correct === false || rec.correct === 0) return ['incorrect', 'bad'];
    return ['unscored', 'none'];
  }

  function sampleCard(rec) {
    var v = verdictOf(rec);
    var gold = rec.gold !== undefined ? rec.gold : rec.label;
    return h('article', { class: 'sample', 'data-index': rec.index, 'data-correct': v[1] }, [
      h('header', null, [
        h('span', { class: 'idx', text: '#' + rec.index }),
        h('span', { class: 'verdict verdict-' + v[1], text: v[0] }),
        h('span', { class: 'conf', text: 'q = ' + fmt(rec.confidence, 3) }),
        h('span', { class: 'answer' }, [h('b', { text: 'answer ' }), h('code', { text: rec.answer === null || rec.answer === undefined ? '(none)' : String(rec.answer) })]),
        rec.verdict && rec.verdict.method ? h('span', { class: 'muted', text: 'by ' + rec.verdict.method }) : null,
        gold !== undefined ? h('span', { class: 'gold' }, [h('b', { text: 'gold ' }), h('code', { text: typeof gold === 'string' ? gold : Array.isArray(gold) ? gold.join(' | ') : JSON.stringify(gold) })]) : null
      ]),
      h('div', { class: 'question', text: rec.question || '' }),
      highlightCompletion(rec.completion)
    ]);
  }

  function recordBrowser(runId, type, total, title) {
    var state = { offset: 0, limit: 10 };
    var list = h('div', { id: 'samples-list', class: 'sample-list' });
    var info = h('span', { id: 'samples-page', class: 'muted' });
    var prev = h('button', { id: 'samples-prev', type: 'button', text: '\u2190 Prev' });
    var next = h('button', { id: 'samples-next', type: 'button', text: 'Next \u2192' });
    var size = h('select', { id: 'samples-size', 'aria-label': 'page size' }, [10, 20, 50, 100].map(function (n) { return h('option', { value: n, text: n + ' / page' }); }));
    var jump = h('input', { id: 'samples-jump', type: 'number', min: 1, placeholder: 'page', 'aria-label': 'go to page' });
    var go = h('button', { id: 'samples-go', type: 'button', text: 'Go' });
    var section = card(title + ' (' + total + ')', [h('div', { class: 'toolbar' }, [prev, next, info, size, jump, go]), list], { id: 'samples' });
    function pages() { return Math.max(1, Math.ceil(state.total / state.limit)); }
    function load() {
      getJson('/api/runs/' + encodeURIComponent(runId) + '/records', { offset: state.offset, limit: state.limit, type: type }).then(function (page) {
        state.total = page.total;
        clear(list);
        page.records.forEach(function (rec) {
          append(list, rec.type === 'sample' ? sampleCard(rec) : h('pre', { class: 'record', text: JSON.stringify(rec, null, 2) }));
        });
        var p = Math.floor(state.offset / state.limit) + 1;
        info.textContent = 'page ' + p + ' of ' + pages() + ' \u00b7 ' + (page.records.length ? (state.offset + 1) + '\u2013' + (state.offset + page.records.length) : 0) + ' of ' + page.total +
          (EMBED && EMBED.detail && EMBED.detail.counts[type || ''] > page.total ? ' (first ' + page.total + ' of ' + EMBED.detail.counts[type || ''] + ' embedded)' : '');
        list.setAttribute('data-offset', state.offset);
        prev.disabled = state.offset === 0;
        next.disabled = state.offset + state.limit >= page.total;
      }).catch(showError);
    }
    state.total = total;
    prev.addEventListener('click', function () { state.offset = Math.max(0, state.offset - state.limit); load(); });
    next.addEventListener('click', function () { state.offset += state.limit; load(); });
    size.addEventListener('change', function () { state.limit = Number(size.value); state.offset = 0; load(); });
    go.addEventListener('click', function () {
      var p = Math.min(pages(), Math.max(1, Math.floor(Number(jump.value) || 1)));
      state.offset = (p - 1) * state.limit; load();
    });
    load();
    return section;
  }

  function calibrationCards(run) {
    var sum = run.summary || {};
    var out = [];
    out.push(card('Metrics', [metricsTable(sum.metrics || {}, sum.ci || sum.cis)], { class: 'metrics-card' }));
    var charts = [card('Reliability diagram', [reliabilitySvg(sum.reliability || [], 'reliability')]),
      card('Confidence histogram', [histogramSvg(histogramBins(sum), 'histogram')])];
    var sc = sum.scaling;
    if (sc && Array.isArray(sc.N) && sc.N.length > 0) {
      var series = Object.keys(sc).filter(function (k) { return k !== 'N' && Array.isArray(sc[k]) && sc[k].length === sc.N.length; })
        .map(function (k) { return { name: k, points: sc.N.map(function (n, i) { return [n, sc[k][i]]; }).filter(function (p) { return isNum(p[1]); }) }; });
      charts.push(card('Accuracy vs N (test-time scaling)', [lineChart('scaling', { series: series, xLabel: 'N (samples per question)', yLabel: 'accuracy', logX: true, width: 440 })]));
    }
    out.push(h('div', { class: 'chart-row' }, charts));
    return out;
  }

  function trainingCards(run) {
    var holder = h('div', { class: 'chart-row', id: 'training-charts' });
    getJson('/api/runs/' + encodeURIComponent(run.id) + '/series', { type: 'step', max: 2000 }).then(function (se) {
      // loss and reward always; up to two more fields that actually vary (a constant lr is not a curve)
      var varies = function (f) { return se.points.some(function (p) { return isNum(p[f]) && p[f] !== se.points[0][f]; }); };
      var fields = ['loss', 'reward'].concat(se.fields.filter(function (f) { return f !== 'step' && f !== 'loss' && f !== 'reward' && varies(f); }).slice(0, 2));
      fields.forEach(function (f) {
        var pts = se.points.filter(function (p) { return isNum(p[f]); }).map(function (p, i) { return [isNum(p.step) ? p.step : i, p[f]]; });
        if (pts.length === 0) return;
        append(holder, card(f + ' (' + se.total + ' steps' + (se.stride > 1 ? ', every ' + se.stride + 'th shown' : '') + ')',
          [lineChart(f + '-chart', { series: [{ name: f, points: pts }], xLabel: 'step', yLabel: f })]));
      });
    }).catch(showError);
    return holder;
  }

  function runHeader(run, counts) {
    var dl = h('dl', { class: 'facts' });
    [['kind', run.kind], ['status', statusBadge(run.status)], ['created', shortTime(run.createdAt)], ['finished', shortTime(run.finishedAt)],
      ['records', Object.keys(counts).filter(function (k) { return k; }).map(function (k) { return k + ' ' + counts[k]; }).join(', ') || String(run.records)],
      ['seed', run.seed === null ? '-' : String(run.seed)], ['git', run.gitSha ? run.gitSha.slice(0, 12) : '-'],
      ['versions', Object.keys(run.versions || {}).map(function (k) { return k + ' ' + run.versions[k]; }).join(', ')]
    ].forEach(function (f) { append(dl, [h('dt', { text: f[0] }), h('dd', null, f[1])]); });
    var body = [dl];
    if (run.error) body.push(h('div', { class: 'error', text: run.error }));
    if (run.status === 'running' && !EMBED) {
      body.push(h('div', { class: 'toolbar' }, [h('span', { class: 'muted', text: 'This run is still being written.' }),
        h('button', { id: 'run-refresh', type: 'button', text: 'Refresh', onclick: route })]));
    }
    body.push(h('details', null, [h('summary', { text: 'config' }), h('pre', { class: 'config', text: JSON.stringify(run.config, null, 2) })]));
    return card(runTitle(run), body, { id: 'run-header' });
  }

  function showRun(id) {
    append(root, header([h('span', { class: 'mono', text: id })]));
    getJson('/api/runs/' + encodeURIComponent(id)).then(function (d) {
      var run = d.run, counts = d.counts || {};
      document.title = 'glassbox \u00b7 ' + runTitle(run);
      append(root, runHeader(run, counts));
      if (run.summary && Array.isArray(run.summary.reliability)) append(root, calibrationCards(run));
      else if (run.summary && run.summary.metrics) append(root, card('Metrics', [metricsTable(run.summary.metrics, run.summary.ci)]));
      if ((counts.step || 0) > 0) append(root, trainingCards(run));
      if ((counts.sample || 0) > 0) append(root, recordBrowser(run.id, 'sample', counts.sample, 'Samples'));
      else if ((counts[''] || 0) > 0 && !(counts.step > 0)) append(root, recordBrowser(run.id, '', counts[''], 'Records'));
    }).catch(showError);
  }

  // ---------- compare two runs
  function showCompare(a, b) {
    append(root, header([h('span', { text: 'compare' })]));
    getJson('/api/compare', { a: a, b: b }).then(function (d) {
      var t = h('table', { id: 'compare-table', class: 'metrics' });
      append(t, h('thead', null, h('tr', null, [h('th', { text: 'metric' }),
        h('th', null, h('a', { href: '#/run/' + encodeURIComponent(d.a.id), text: 'A: ' + runTitle(d.a) })),
        h('th', null, h('a', { href: '#/run/' + encodeURIComponent(d.b.id), text: 'B: ' + runTitle(d.b) })),
        h('th', { text: '\u0394 (B \u2212 A)' })])));
      var body = h('tbody');
      d.metrics.forEach(function (m) {
        append(body, h('tr', { 'data-metric': m.name }, [h('td', { text: m.name }),
          h('td', { class: 'num a', text: fmt(m.a) }), h('td', { class: 'num b', text: fmt(m.b) }),
          h('td', { class: 'num delta ' + (m.delta > 0 ? 'up' : m.delta < 0 ? 'down' : ''), text: m.delta === null ? '-' : (m.delta > 0 ? '+' : '') + fmt(m.delta) })]));
      });
      append(t, body);
      append(root, card('Metrics side by side', [t]));
      var diagrams = [[d.a, 'A', 'reliability-a'], [d.b, 'B', 'reliability-b']].filter(function (x) { return x[0].summary && Array.isArray(x[0].summary.reliability); });
      if (diagrams.length) append(root, h('div', { class: 'chart-row' }, diagrams.map(function (x) {
        return card(x[1] + ': ' + runTitle(x[0]), [reliabilitySvg(x[0].summary.reliability, x[2])]);
      })));
    }).catch(showError);
  }

  // ---------- router
  var routeToken = 0;
  function route() {
    routeToken++;
    clear(root);
    var parts = (location.hash.replace(/^#/, '') || '/').split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'run' && parts[1]) return showRun(parts[1]);
    if (parts[0] === 'compare' && parts[1] && parts[2]) return showCompare(parts[1], parts[2]);
    if (EMBED && EMBED.detail) return showRun(EMBED.detail.run.id);
    return showRuns();
  }
  window.addEventListener('hashchange', route);
  route();
})();
`;
