// In-page probe of benchmarks/browser_latency.py: installed once per notebook page as
// window.__bench. It times, in the page's own clock (performance.now()), a control change of
// an explorer from the input event to the chart redrawn (the first plotly event after which
// the explorer's charts and message show their final state), and keeps every kernel message
// of the change (JupyterLab's kernel connection, `anyMessage`) for the breakdown.
() => {
  if (window.__bench) return true;
  const B = {msgs: [], pending: new Set(), last: 0, st: null, kernel: null, longtasks: []};
  window.__bench = B;
  const now = () => performance.now();
  // main-thread tasks over 50 ms (the page could not handle a message or an input meanwhile)
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) B.longtasks.push({start: e.startTime, end: e.startTime + e.duration});
    if (B.longtasks.length > 2000) B.longtasks.splice(0, 500);
  }).observe({type: 'longtask'});
  const PLOT_EVENTS = ['plotly_afterplot', 'plotly_restyle', 'plotly_relayout', 'plotly_update',
                       'plotly_redraw'];
  const CONTROLS = '.widget-dropdown, .widget-select-multiple, .widget-checkbox, ' +
                   '.widget-slider, .jupyter-widget-tagsinput';

  // A cheap summary of plotly data or layout: arrays become their length, a weighted sum of
  // their numbers (or string lengths) and their ends; private keys and the template are left out.
  function summary(v, depth) {
    if (v === null || v === undefined || typeof v === 'function') return null;
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      let s = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'number') { if (isFinite(x)) s += x * (1 + (i % 7)); }
        else if (typeof x === 'string') s += x.length * (1 + (i % 5));
        else if (x !== null && typeof x === 'object' && depth < 4) s += 1;
      }
      const end = x => (x !== null && typeof x === 'object') ? summary(x, depth + 1) : x;
      return ['#', v.length, s, v.length ? end(v[0]) : null, v.length ? end(v[v.length - 1]) : null];
    }
    if (typeof v === 'object') {
      if (depth > 5) return '{}';
      const out = {};
      for (const k of Object.keys(v).sort()) {
        if (k[0] === '_' || k === 'template' || k === 'uid') continue;
        out[k] = summary(v[k], depth + 1);
      }
      return out;
    }
    return v;
  }

  B.root = i => document.querySelector(`[data-bench-explorer="${i}"]`);
  B.plots = root => [...root.querySelectorAll('.js-plotly-plot')];
  B.plotFp = root => JSON.stringify(B.plots(root).map(el => [summary(el.data || [], 0),
                                                             summary(el.layout || {}, 0)]));
  B.msgState = root => {
    const m = root.querySelector('.atlas-message');
    if (!m) return 'chart';
    const shown = m.checkVisibility ? m.checkVisibility() : m.offsetParent !== null;
    return shown ? 'message: ' + m.textContent.trim() : 'chart';
  };
  B.fp = root => B.msgState(root) + '|' + B.plotFp(root);

  B.hookKernel = () => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    if (B.kernel === kernel) return true;
    B.kernel = kernel;
    kernel.anyMessage.connect((_, args) => {
      const m = args.msg, h = m.header, t = now();
      const rec = {t, dir: args.direction, type: h.msg_type, id: h.msg_id, date: h.date,
                   channel: m.channel, parent: m.parent_header ? m.parent_header.msg_id : null};
      if (h.msg_type === 'status') rec.state = m.content.execution_state;
      if (h.msg_type === 'comm_msg') {
        const d = m.content.data || {};
        rec.method = d.method;
        rec.keys = Object.keys(d.state || {});
        rec.buffers = (m.buffers || []).reduce((n, b) => n + (b.byteLength || 0), 0);
      }
      B.msgs.push(rec);
      if (B.msgs.length > 4000) B.msgs.splice(0, 1000);
      if (args.direction === 'send' && m.channel === 'shell') B.pending.add(h.msg_id);
      if (args.direction === 'recv' && rec.state === 'idle' && rec.parent) B.pending.delete(rec.parent);
      B.last = t;
    });
    return true;
  };

  // Explorers: the top-level widget boxes of the output areas that hold a plotly chart.
  B.explorers = () => {
    const out = [];
    document.querySelectorAll('.jp-CodeCell').forEach((cell, ci) => {
      cell.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets.widget-vbox').forEach(root => {
        if (!root.querySelector('.js-plotly-plot')) return;
        root.dataset.benchExplorer = out.length;
        out.push({index: out.length, cell: ci, plots: B.plots(root).length,
                  labels: B.controls(out.length).map(c => c.label)});
      });
    });
    return out;
  };

  B.controls = i => [...B.root(i).querySelectorAll(CONTROLS)].map((el, k) => {
    el.dataset.benchControl = k;
    let kind = 'tags';
    if (el.matches('.widget-dropdown')) kind = 'dropdown';
    else if (el.matches('.widget-select-multiple')) kind = 'multi';
    else if (el.matches('.widget-checkbox')) kind = 'checkbox';
    else if (el.matches('.widget-slider')) kind = el.querySelectorAll('.noUi-handle').length > 1 ? 'range' : 'slider';
    let label = '';
    if (kind === 'checkbox') {
      const span = el.querySelector('span[title]');
      label = span ? span.title : el.textContent;
    } else if (kind === 'tags') {
      const prev = el.previousElementSibling;
      label = prev && prev.matches('.widget-label') ? prev.textContent : 'tags';
    } else {
      const l = el.querySelector(':scope > label.widget-label');
      label = l ? l.textContent : '';
    }
    return {k, kind, label: label.trim(), folded: !!el.closest('.lm-mod-hidden')};
  });

  B.hookPlot = el => {
    if (el.__benchHooked || typeof el.on !== 'function') return;
    el.__benchHooked = true;
    for (const ev of PLOT_EVENTS) el.on(ev, () => B.plotEvent(el, ev));
    el.on('plotly_beforeplot', () => {  // a full plot starts (newPlot, redraw, react)
      const s = B.st;
      if (s && s.t0 !== null && s.root.contains(el)) s.draws.push({el, start: now(), end: null});
    });
  };
  B.plotEvent = (el, ev) => {
    const t = now(), s = B.st;
    B.last = t;
    if (!s || s.t0 === null || !s.root.contains(el)) return;
    if (ev === 'plotly_afterplot') {
      const open = s.draws.filter(d => d.el === el && d.end === null).pop();
      if (open) open.end = t;
    }
    s.plotFp = B.plotFp(s.root);
    s.recs.push({t, ev, fp: B.msgState(s.root) + '|' + s.plotFp});
  };

  function watch(root) {
    if (root.__benchWatched) return;
    root.__benchWatched = true;
    // the input events that change a control (a place tag is removed on mousedown)
    for (const type of ['keydown', 'click', 'input', 'change', 'mousedown']) {
      root.addEventListener(type, e => {
        const s = B.st;
        if (type === 'mousedown' && !e.target.closest('.jupyter-widget-tag-close')) return;
        if (s && s.root === root && s.t0 === null) { s.t0 = now(); s.input = e.type; }
      }, true);
    }
    new MutationObserver(mutations => {
      const t = now(), s = B.st;
      B.last = t;
      for (const m of mutations) for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.matches('.js-plotly-plot')) B.hookPlot(n);
        n.querySelectorAll('.js-plotly-plot').forEach(B.hookPlot);
      }
      if (!s || s.root !== root || s.t0 === null) return;
      const state = B.msgState(root);
      if (state !== s.msgState) {
        s.msgState = state;
        s.recs.push({t, ev: 'message', fp: state + '|' + s.plotFp});
      }
    }).observe(root, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ['style', 'class'], characterData: true});
  }

  B.arm = i => {
    const root = B.root(i);
    watch(root);
    B.plots(root).forEach(B.hookPlot);
    const plotFp = B.plotFp(root), msgState = B.msgState(root);
    B.msgs = [];
    B.st = {root, t0: null, input: null, recs: [], draws: [], plotFp, msgState,
            off: Date.now() - now(),
            before: msgState + '|' + plotFp};
    return true;
  };

  // Settled: the input happened, every message the page sent was answered (status idle), the
  // kernel is idle and nothing moved for `quiet` ms (longer if nothing was sent at all).
  B.settle = (quiet, timeout) => new Promise(resolve => {
    const start = now();
    const tick = () => {
      const s = B.st, t = now();
      const sent = B.msgs.some(m => m.dir === 'send' && m.type === 'comm_msg');
      const idle = B.pending.size === 0 && B.kernel.status === 'idle';
      const calm = t - Math.max(B.last, s.t0 || 0) >= (sent ? quiet : 8 * quiet);
      if (s.t0 !== null && idle && calm) return resolve(true);
      if (t - start > timeout) return resolve(false);
      setTimeout(tick, 20);
    };
    tick();
  });

  const kdate = (m, off) => m && m.date ? Date.parse(m.date.replace(/(\.\d{3})\d+/, '$1')) - off : null;
  const isFigure = m => m.dir === 'recv' && m.type === 'comm_msg' &&
                        m.keys.some(k => k.startsWith('_py2js_'));
  const isDisplay = m => m.dir === 'recv' && m.type === 'comm_msg' && m.keys.includes('display');

  function breakdown(s, end) {
    const msgs = B.msgs.filter(m => m.t >= s.t0 - 1);
    const send = msgs.find(m => m.dir === 'send' && m.type === 'comm_msg');
    if (!send) return null;
    const ofSend = state => msgs.find(m => m.type === 'status' && m.state === state &&
                                        m.parent === send.id);
    const busy = ofSend('busy'), idle = ofSend('idle');
    const draw = msgs.filter(m => (end.ev === 'message' ? isDisplay(m) : isFigure(m)) && m.t <= end.t);
    const last = draw[draw.length - 1];
    const rel = v => v === null || v === undefined ? null : Math.round((v - s.t0) * 10) / 10;
    const comms = msgs.filter(m => m.dir === 'recv' && m.type === 'comm_msg' && m.t <= end.t);
    const frames = (window.__benchFrames || []).filter(f => f.t >= s.t0 && f.t <= end.t);
    const received = frames.filter(f => f.dir === 'recv');
    const sent = frames.find(f => f.dir === 'send');
    const frame = last && received.filter(f => f.t <= last.t).pop();
    const draws = s.draws.filter(d => d.start <= end.t);
    // the union of [start, end] intervals, clipped to the change (plots may overlap)
    const union = spans => {
      let total = 0, reach = s.t0;
      for (const [a, z] of spans.map(([a, z]) => [Math.max(a, s.t0), Math.min(z, end.t)])
                               .filter(([a, z]) => z > a).sort((x, y) => x[0] - y[0])) {
        if (z > reach) { total += z - Math.max(a, reach); reach = z; }
      }
      return Math.round(total);
    };
    return {
      send: rel(sent ? Math.min(sent.t, send.t) : send.t), kernel_busy: rel(kdate(busy, s.off)), kernel_idle: rel(kdate(idle, s.off)),
      busy_seen: rel(busy && busy.t), last_draw_msg_sent: rel(kdate(last, s.off)),
      last_draw_msg_recv: rel(last && last.t), draw_msgs: draw.length,
      draw_msg_keys: draw.map(m => m.keys.filter(k => k.startsWith('_py2js_') || k === 'display').join(',')),
      comm_msgs_before_end: comms.length,
      comm_bytes_before_end: comms.reduce((n, m) => n + m.buffers, 0),
      last_draw_frame: rel(frame && frame.t),
      frames_before_end: received.length,
      frame_bytes_before_end: received.reduce((n, f) => n + f.bytes, 0),
      full_plots: draws.length,
      plotting_ms: union(draws.map(d => [d.start, d.end === null ? end.t : d.end])),
      longtask_ms: union(B.longtasks.map(l => [l.start, l.end])),
      first_recv: rel((msgs.find(m => m.dir === 'recv' && m.type === 'comm_msg') || {}).t),
    };
  }

  B.result = () => {
    const s = B.st, fin = B.fp(s.root);
    const r = {input: s.input, changed: fin !== s.before, records: s.recs.length,
               message: fin.startsWith('message: ') ? fin.slice(9, fin.indexOf('|')) : null,
               t0_epoch: s.t0 === null ? null : s.t0 + s.off};
    if (s.t0 === null) return r;
    const end = s.recs.find(x => x.fp === fin);
    const first = s.recs.find(x => x.fp !== s.before);
    r.first_ms = first ? first.t - s.t0 : null;
    r.last_ms = s.recs.length ? s.recs[s.recs.length - 1].t - s.t0 : null;
    r.events = s.recs.map(x => x.ev);
    const frames = (window.__benchFrames || []).filter(f => f.t >= s.t0 && f.dir === 'recv');
    r.frames = frames.length;
    r.frame_bytes = frames.reduce((n, f) => n + f.bytes, 0);
    if (end) {
      r.ms = end.t - s.t0;
      r.end_event = end.ev;
      r.breakdown = breakdown(s, end);
    }
    return r;
  };

  // plotly.js alone: newPlot and react of a copy of each chart of explorer i, off screen.
  function copy(v) {
    if (ArrayBuffer.isView(v)) return v.slice();
    if (Array.isArray(v)) return v.map(copy);
    if (v && typeof v === 'object') {
      const o = {};
      for (const k of Object.keys(v)) if (k[0] !== '_') o[k] = copy(v[k]);
      return o;
    }
    return v;
  }
  B.plotlyAlone = async (i, reps) => {
    const P = window.Plotly;
    if (!P || !P.react) return null;
    const out = [];
    for (const el of B.plots(B.root(i))) {
      if (!el.data || !el.offsetWidth) continue;
      const div = document.createElement('div');
      div.style.cssText = `position:fixed;left:-30000px;top:0;width:${el.offsetWidth}px;` +
                          `height:${el.offsetHeight}px`;
      document.body.appendChild(div);
      const times = {newPlot: [], react: [], replace: []};
      let plots = 0;
      for (let k = 0; k < reps; k++) {
        let t = now();
        await P.newPlot(div, copy(el.data), copy(el.layout));
        times.newPlot.push(now() - t);
        t = now();
        await P.react(div, copy(el.data), Object.assign(copy(el.layout), {datarevision: k + 1}));
        times.react.push(now() - t);
        // what the widget does when the explorer replaces the figure (helpers/widgets/sync.py
        // replace_figure): deleteTraces, addTraces, relayout, each drawn as it comes
        div.on('plotly_beforeplot', () => { plots++; });
        t = now();
        await P.deleteTraces(div, el.data.map((_, i) => i));
        await P.addTraces(div, copy(el.data));
        await P.relayout(div, copy(el.layout));
        times.replace.push(now() - t);
        P.purge(div);
      }
      div.remove();
      const median = a => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
      const logo = el.querySelector('.plotlyjsicon');
      out.push({traces: el.data.length, newPlot_ms: median(times.newPlot),
                react_ms: median(times.react), replace_ms: median(times.replace),
                replace_plots: plots / reps, page_plotly: P.version,
                widget_plotly: logo ? logo.dataset.title : null});
    }
    return out;
  };
  return true;
}
