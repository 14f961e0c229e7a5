/* Links that keep the chosen view. The page's #hash holds the choice of each plotly menu and
   slider, "<chart>.<control>=<label>" joined by "&" (#growth.place=India&users-map.year=2020):
   <chart> is the chart div's id without "fig-"; <control> the menu's or slider's name, else
   the word after "All" of its first button ("All places" -> place), else "year" for a slider
   of years, else menu/slider; <label> the chosen button's or step's label ("+" for spaces).
   On load it is applied as a click would; as the reader changes a control it is rewritten. */
(function () {
  if (!window.Plotly || !window.Promise || !history.replaceState) return;
  var charts = [].slice.call(document.querySelectorAll('.js-plotly-plot[id^="fig-"]'));
  var METHODS = ['restyle', 'relayout', 'update', 'animate'];
  var controls = [], applying = false, tries = 0, field, status;
  function slug(s) {
    return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  }
  function single(s) {
    return s.replace(/ies$/, 'y').replace(/(ss|x|ch|sh)es$/, '$1').replace(/([^s])s$/, '$1');
  }
  function enc(s) { return encodeURIComponent(s).replace(/%20/g, '+'); }
  function dec(s) {
    try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return null; }
  }
  function label(c, j) {
    var it = c.items[j] || {};
    return String(it.label != null ? it.label : it.value != null ? it.value : j);
  }
  function active(c) { return c.gd.layout[c.kind][c.i].active || 0; }
  function ready(gd) {  /* drawn, with the frames its sliders and buttons animate to */
    var td = gd._transitionData;
    return gd._fullLayout && gd.on && (td && td._frames && td._frames.length > 0
      || !/"animate"/.test(JSON.stringify([gd.layout.updatemenus, gd.layout.sliders])));
  }
  function collect(gd) {
    var used = {};
    ['updatemenus', 'sliders'].forEach(function (kind) {
      (gd.layout[kind] || []).forEach(function (m, i) {
        var c = {gd: gd, kind: kind, i: i, items: (kind === 'sliders' ? m.steps : m.buttons) || []};
        if (c.items.length < 2 || m.visible === false || m.showactive === false) return;
        var all = /^all (.+)$/i.exec(label(c, 0)), years = c.items.every(function (s, j) {
          return /^\d{4}$/.test(label(c, j));
        });
        var k = m.name ? slug(m.name) : kind === 'sliders' ? (years ? 'year' : 'slider')
          : all ? single(slug(all[1])) : 'menu';
        if (used[k]) k += '-' + (i + 1);
        used[k] = true;
        c.key = gd.id.slice(4) + '.' + k;
        c.initial = active(c);
        controls.push(c);
      });
    });
  }
  function run(c, j) {  /* what a click on button or step j does: shown active, its own command */
    var it = c.items[j], upd = {};
    upd[c.kind + '[' + c.i + '].active'] = j;
    return Promise.resolve(Plotly.relayout(c.gd, upd)).then(function () {
      if (it.execute === false || METHODS.indexOf(it.method) < 0) return;
      return Plotly[it.method].apply(null, [c.gd].concat(it.args || []));
    });
  }
  function apply(reset) {  /* unknown keys and values are ignored */
    var want = {}, chains = {};
    location.hash.slice(1).split('&').forEach(function (p) {
      var e = p.indexOf('=');
      if (e > 0) want[dec(p.slice(0, e))] = dec(p.slice(e + 1));
    });
    applying = true;
    controls.forEach(function (c) {
      var v = want[c.key], j = c.initial;
      if (v != null) {
        c.items.forEach(function (it, n) {
          if (label(c, n).toLowerCase() === v.toLowerCase()) j = n;
        });
      } else if (!reset) return;
      if (j === active(c)) return;
      var chain = chains[c.gd.id] || Promise.resolve();  /* one chart's commands in order */
      chains[c.gd.id] = chain.then(function () { return run(c, j); });
    });
    return Promise.all(Object.keys(chains).map(function (id) { return chains[id]; }))
      .catch(function () {}).then(function () { applying = false; });
  }
  function write() {  /* the controls not at the page's own choice; no new history entry */
    if (applying) return;
    var parts = controls.filter(function (c) { return active(c) !== c.initial; })
      .map(function (c) { return enc(c.key) + '=' + enc(label(c, active(c))); });
    var url = location.href.replace(/#.*$/, '') + (parts.length ? '#' + parts.join('&') : '');
    try { history.replaceState(history.state, '', url); } catch (e) { return; }
    if (status) { status.textContent = ''; field.value = location.href; }
  }
  function copied(ok) {
    status.textContent = ok ? 'Link copied' : 'Press Ctrl+C (\u2318C) to copy the link';
  }
  function fallback() {  /* no clipboard permission (file://): the link, shown and selected */
    var ok = false;
    field.value = location.href;
    field.hidden = false;
    field.focus();
    field.select();
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    copied(ok);
  }
  function button() {
    var box = document.createElement('span'), b = document.createElement('button');
    field = document.createElement('input');
    status = document.createElement('span');
    box.className = 'atlas-share';
    b.type = 'button';
    b.className = 'atlas-copy';
    b.textContent = 'Copy link to this view';
    field.className = 'atlas-link';
    field.readOnly = true;
    field.hidden = true;
    field.setAttribute('aria-label', 'Link to this view');
    status.className = 'atlas-copied';
    status.setAttribute('role', 'status');
    b.addEventListener('click', function () {
      var clip = navigator.clipboard;
      if (!clip || !clip.writeText) return fallback();
      clip.writeText(location.href).then(function () { copied(true); }, fallback);
    });
    box.appendChild(b);
    box.appendChild(field);
    box.appendChild(status);
    (document.querySelector('header.atlas-nav') || document.body).appendChild(box);
  }
  function start() {
    if (!charts.every(ready)) { if (++tries < 800) setTimeout(start, 25); return; }
    var t0 = performance.now(), mark = document.documentElement;
    charts.forEach(collect);
    if (!controls.length) return mark.setAttribute('data-view-link', 'none');
    button();
    apply(false).then(function () {
      mark.setAttribute('data-view-link', Math.round(performance.now() - t0) + 'ms');
      charts.forEach(function (gd) {
        ['plotly_buttonclicked', 'plotly_sliderchange', 'plotly_animated'].forEach(function (ev) {
          gd.on(ev, write);
        });
      });
      window.addEventListener('hashchange', function () {  /* a view link, not a plain anchor */
        if (/=/.test(location.hash)) apply(true);
      });
    });
  }
  start();
})();
