/* newsgraph page: search, filters, details and on-demand related edges over vis-network.
 * Every string from the input reaches the DOM through textContent (never innerHTML);
 * links are made only for http(s) URLs.
 * vis-network draws the nodes, labels, zoom and picking; the edges are drawn by this
 * script in vis-network's beforeDrawing hook, as a few canvas paths: creating 9k vis
 * Edge objects costs seconds at load, a path costs milliseconds per frame. */
(function () {
  'use strict';
  var timing = { start: performance.now() };
  var readJSON = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var visNodes = readJSON('ng-nodes');
  var visEdges = readJSON('ng-edges');
  var options = readJSON('ng-options');
  var meta = readJSON('ng-meta');
  timing.parsed = performance.now();
  var info = meta.details;           // aligned with visNodes
  // article labels: below LABEL_SCALE they would be under vis-network's drawThreshold anyway
  var ARTICLE_FONT = options.nodes.font.size;
  var LABEL_SCALE = options.nodes.scaling.label.drawThreshold / ARTICLE_FONT;
  var n = visNodes.length;
  var indexOf = new Map();
  for (var i = 0; i < n; i++) indexOf.set(visNodes[i].id, i);
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (x) { return String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ','); };

  // adjacency: structural edges (drawn) and related edges (drawn on demand)
  var nbrs = new Array(n), relOut = new Array(n);
  for (i = 0; i < n; i++) { nbrs[i] = []; relOut[i] = []; }
  var m = visEdges.length, eFrom = new Int32Array(m), eTo = new Int32Array(m), eWidth = new Float32Array(m);
  var edgesOf = new Array(n);
  for (i = 0; i < n; i++) edgesOf[i] = [];
  visEdges.forEach(function (e, k) {
    var s = indexOf.get(e.from), d = indexOf.get(e.to);
    eFrom[k] = s; eTo[k] = d; eWidth[k] = e.width || 0;
    nbrs[s].push(d); nbrs[d].push(s); edgesOf[s].push(k); edgesOf[d].push(k);
  });
  var rel = meta.related, relTotal = rel.length / 2;
  for (i = 0; i < rel.length; i += 2) {
    relOut[rel[i]].push(i / 2);
    if (rel[i + 1] !== rel[i]) relOut[rel[i + 1]].push(i / 2);
  }

  timing.indexed = performance.now();
  var nodes = new vis.DataSet(visNodes);
  var container = $('ng-canvas');
  var network = new vis.Network(container, { nodes: nodes, edges: new vis.DataSet([]) }, options);
  timing.network = performance.now();

  $('ng-title').textContent = meta.title;

  // ---- visibility (filters) ----
  var visible = new Uint8Array(n).fill(1);
  var shownRelated = [];   // related edges (numbers r: pair rel[2r], rel[2r+1]) of the selection
  var selected = -1;

  function isArticle(i) { return info[i].k === 'article'; }
  function applyFilters() {
    var kind = {
      article: $('ng-kind-article').checked, stub: $('ng-kind-stub').checked,
      provider: $('ng-kind-provider').checked, topic: $('ng-kind-topic').checked
    };
    var topic = $('ng-topic').value, provider = $('ng-provider').value;
    var from = $('ng-from').value, to = $('ng-to').value;
    var narrowed = !!(topic || provider || from || to);
    var next = new Uint8Array(n), used = new Uint8Array(n);
    for (var i = 0; i < n; i++) {
      var d = info[i];
      if (d.k !== 'article') continue;
      var ok = d.s ? kind.stub : kind.article;
      if (ok && topic) ok = d.t.indexOf(topic) >= 0;
      if (ok && provider) ok = d.p === provider;
      if (ok && (from || to)) ok = !!d.d && (!from || d.d >= from) && (!to || d.d <= to);
      if (ok) {
        next[i] = 1;
        if (d.p && indexOf.has(d.p)) used[indexOf.get(d.p)] = 1;
        d.t.forEach(function (t) { if (indexOf.has(t)) used[indexOf.get(t)] = 1; });
      }
    }
    for (i = 0; i < n; i++) {
      var k = info[i].k;
      if (k === 'article') continue;
      var on = k === 'provider' ? kind.provider : kind.topic;
      // narrowed: a hub stays only when a shown article points at it (or it is the filter itself)
      if (on && narrowed) on = used[i] === 1 || visNodes[i].id === topic || visNodes[i].id === provider;
      next[i] = on ? 1 : 0;
    }
    var nodeChanges = [], touched = [];
    for (i = 0; i < n; i++) {
      if (next[i] !== visible[i]) { nodeChanges.push({ id: visNodes[i].id, hidden: !next[i] }); touched.push(i); }
    }
    visible = next;
    nodes.update(nodeChanges);
    if (selected >= 0 && !visible[selected]) select(-1); else if (selected >= 0) showRelated(selected);
    updateStats();
    network.redraw();
  }

  // ---- selection: details, neighbours, related edges ----
  function showRelated(i) {
    shownRelated = [];
    if (i < 0) return;
    relOut[i].forEach(function (r) { if (visible[rel[2 * r]] && visible[rel[2 * r + 1]]) shownRelated.push(r); });
  }

  // ---- edges, drawn under the nodes ----
  var bodyNodes = network.body && network.body.nodes;
  var px = new Float64Array(n), py = new Float64Array(n);
  function positions() {
    for (var i = 0; i < n; i++) {
      var b = bodyNodes && bodyNodes[visNodes[i].id];
      px[i] = b ? b.x : visNodes[i].x; py[i] = b ? b.y : visNodes[i].y;
    }
  }
  function strokeEdges(ctx, list, colour, width) {
    ctx.strokeStyle = colour; ctx.lineWidth = width;
    ctx.beginPath();
    for (var k = 0; k < list.length; k += 2) { ctx.moveTo(px[list[k]], py[list[k]]); ctx.lineTo(px[list[k + 1]], py[list[k + 1]]); }
    ctx.stroke();
  }
  network.on('beforeDrawing', function (ctx) {
    positions();
    var scale = network.getScale(), plain = [], k, s, d;
    ctx.save();
    for (k = 0; k < m; k++) {
      s = eFrom[k]; d = eTo[k];
      if (!visible[s] || !visible[d]) continue;
      if (eWidth[k]) { strokeEdges(ctx, [s, d], meta.colors.edge, eWidth[k] / scale); continue; }
      plain.push(s, d);
    }
    strokeEdges(ctx, plain, meta.colors.edge, 0.8 / scale);
    ctx.restore();
  });

  function field(dl, name, value) {
    if (value === null || value === undefined || value === '') return;
    var dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = name; dd.textContent = String(value);
    dl.appendChild(dt); dl.appendChild(dd);
  }
  function safeHref(url) {
    if (typeof url !== 'string') return null;
    try { var u = new URL(url); } catch (err) { return null; }
    return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
  }
  function showDetails(i) {
    var panel = $('ng-details');
    if (i < 0) { panel.hidden = true; return; }
    var d = info[i];
    $('ng-d-kind').textContent = d.k === 'article' ? (d.s ? 'article (stub: known only from related lists)' : 'article') : d.k;
    $('ng-d-title').textContent = d.l;
    var dl = $('ng-d-fields');
    dl.textContent = '';
    if (d.k === 'article') {
      field(dl, 'Provider', d.pn);
      field(dl, 'Published', d.d);
      field(dl, 'Topics', d.tl.join(', '));
      field(dl, 'Related', relOut[i].length ? fmt(relOut[i].length) + ' articles' : null);
      field(dl, 'Group', meta.groups[d.g] !== undefined ? meta.groups[d.g] + ' (' + fmt(meta.groupSizes[d.g]) + ' articles)' : null);
    } else {
      field(dl, d.k === 'provider' ? 'Domain' : 'Key', d.x);
      field(dl, 'Articles', fmt(d.w));
    }
    $('ng-d-excerpt').textContent = d.e || '';
    var linkBox = $('ng-d-link');
    linkBox.textContent = '';
    var href = safeHref(d.u);
    if (href) {
      var a = document.createElement('a');
      a.href = href; a.rel = 'noopener noreferrer'; a.target = '_blank';
      a.textContent = d.k === 'article' ? 'Open the article' : 'Open the site';
      linkBox.appendChild(a);
    }
    panel.hidden = false;
  }

  // ---- neighbour highlighting: veil everything, then draw the selection's neighbourhood on top ----
  var highlighted = [];   // node numbers of the selection and its visible neighbours
  function fillOf(j) {
    var c = visNodes[j].color;
    return typeof c === 'string' ? c : (c && c.background) || '#888888';
  }
  function borderOf(j) {
    var c = visNodes[j].color;
    return typeof c === 'string' ? c : (c && c.border) || '#888888';
  }
  function drawShape(ctx, j, r) {
    var x = px[j], y = py[j], shape = visNodes[j].shape;
    ctx.beginPath();
    if (shape === 'square') ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (shape === 'star') {
      for (var k = 0; k < 10; k++) {
        var a = -Math.PI / 2 + k * Math.PI / 5, rr = k % 2 ? r * 0.45 : r * 1.1;
        if (k) ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a)); else ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      ctx.closePath();
    } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  function articleLabel(ctx, j) {
    var t = info[j].l;
    if (t.length > meta.labelMax) t = t.slice(0, meta.labelMax - 1) + '\u2026';
    ctx.strokeText(t, px[j], py[j] + (visNodes[j].size || 5) + 4);
    ctx.fillText(t, px[j], py[j] + (visNodes[j].size || 5) + 4);
  }
  network.on('afterDrawing', function (ctx) {
    var scale = network.getScale(), w = container.clientWidth, h = container.clientHeight;
    var a = network.DOMtoCanvas({ x: 0, y: 0 }), b = network.DOMtoCanvas({ x: w, y: h });
    ctx.save();
    ctx.textAlign = 'center'; ctx.textBaseline = 'hanging';
    ctx.lineWidth = 3 / scale; ctx.strokeStyle = '#ffffff';
    if (selected >= 0) {
      ctx.fillStyle = 'rgba(255,255,255,0.72)';
      ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    }
    // article titles (canvas text, never markup) once zoomed in far enough to read them
    var near = new Uint8Array(n), j;
    highlighted.forEach(function (j) { near[j] = 1; });
    if (scale >= LABEL_SCALE) {
      ctx.font = ARTICLE_FONT + 'px system-ui, sans-serif';
      ctx.fillStyle = selected >= 0 ? '#adb5bd' : meta.colors.highlight;
      for (j = 0; j < n; j++) {
        if (!visible[j] || near[j] || info[j].k !== 'article') continue;
        if (px[j] < a.x - 200 || px[j] > b.x + 200 || py[j] < a.y - 20 || py[j] > b.y) continue;
        articleLabel(ctx, j);
      }
    }
    if (selected < 0) { ctx.restore(); return; }
    var own = [], relList = [];
    edgesOf[selected].forEach(function (k) { if (visible[eFrom[k]] && visible[eTo[k]]) own.push(eFrom[k], eTo[k]); });
    shownRelated.forEach(function (r) { relList.push(rel[2 * r], rel[2 * r + 1]); });
    ctx.globalAlpha = 0.8;
    strokeEdges(ctx, relList, meta.colors.related, 1.5 / scale);
    ctx.globalAlpha = 1;
    strokeEdges(ctx, own, meta.colors.highlight, 1.5 / scale);
    highlighted.forEach(function (j) {
      drawShape(ctx, j, visNodes[j].size || 5);
      ctx.fillStyle = fillOf(j); ctx.fill();
      ctx.lineWidth = (j === selected ? 3 : 1.5) / scale;
      ctx.strokeStyle = j === selected ? meta.colors.highlight : borderOf(j);
      ctx.stroke();
    });
    ctx.fillStyle = meta.colors.highlight; ctx.lineWidth = 3 / scale; ctx.strokeStyle = '#ffffff';
    highlighted.forEach(function (j) {
      if (info[j].k === 'article' && j !== selected) {
        if (scale < LABEL_SCALE) return;
        ctx.font = ARTICLE_FONT + 'px system-ui, sans-serif';
        articleLabel(ctx, j);
        return;
      }
      // the selection and hubs: their own size, at least 12 px on screen
      var size = Math.max(visNodes[j].font && j !== selected ? visNodes[j].font.size : 0, 12 / scale);
      ctx.font = (j === selected ? 'bold ' : '') + size + 'px system-ui, sans-serif';
      var t = info[j].l;
      if (t.length > meta.labelMax) t = t.slice(0, meta.labelMax - 1) + '\u2026';
      ctx.strokeText(t, px[j], py[j] + (visNodes[j].size || 5) + 4);
      ctx.fillText(t, px[j], py[j] + (visNodes[j].size || 5) + 4);
    });
    ctx.restore();
  });

  function select(i, focus) {
    selected = i;
    showRelated(i);
    showDetails(i);
    // setSelection asks vis-network for one redraw on the next frame (unselectAll and
    // redraw() would each draw the whole graph at once: two frames' work per click)
    if (i < 0) {
      highlighted = [];
      network.setSelection({ nodes: [] }, { unselectAll: true });
      updateStats();
      return;
    }
    var near = new Set();
    nbrs[i].forEach(function (j) { if (visible[j]) near.add(j); });
    relOut[i].forEach(function (r) {
      var j = rel[2 * r] === i ? rel[2 * r + 1] : rel[2 * r];
      if (visible[j]) near.add(j);
    });
    near.delete(i);
    highlighted = Array.from(near).concat([i]);  // the selection last: drawn on top
    // vis-network selects the node alone; the neighbourhood is drawn by afterDrawing
    // (selecting thousands of neighbours of a hub in vis-network costs a frame or more)
    network.setSelection({ nodes: [visNodes[i].id] }, { unselectAll: true, highlightEdges: false });
    if (focus) {
      network.focus(visNodes[i].id, { scale: Math.max(network.getScale(), LABEL_SCALE * 1.25), animation: false });
      capHubFonts();
    }
    updateStats();
  }

  network.on('click', function (p) {
    select(p.nodes.length ? indexOf.get(p.nodes[0]) : -1);
    clickDone();
  });
  $('ng-close').addEventListener('click', function () { select(-1); });

  // ---- statistics line ----
  function updateStats() {
    var shownNodes = 0, drawn = 0;
    for (var i = 0; i < n; i++) shownNodes += visible[i];
    for (i = 0; i < m; i++) drawn += visible[eFrom[i]] & visible[eTo[i]];
    var text = fmt(shownNodes) + ' of ' + fmt(n) + ' nodes · ' + fmt(drawn + shownRelated.length) + ' edges drawn';
    if (relTotal) {
      text += ' · ' + fmt(relTotal - shownRelated.length) + ' related edges hidden';
      text += selected >= 0 && isArticle(selected)
        ? ' (' + fmt(shownRelated.length) + ' of the selected article shown)'
        : ' (select an article to show its own)';
    }
    $('ng-stats').textContent = text;
    stats.nodesShown = shownNodes; stats.edgesDrawn = drawn + shownRelated.length;
    stats.relatedShown = shownRelated.length; stats.relatedHidden = relTotal - shownRelated.length;
  }
  var stats = { nodesTotal: n, edgesTotal: visEdges.length + relTotal, relatedTotal: relTotal };

  // ---- search ----
  var haystack = info.map(function (d) {
    return (d.l + ' \u0001 ' + (d.pn || '') + ' \u0001 ' + (d.tl || []).join(' ') + ' \u0001 ' + (d.x || '')).toLowerCase();
  });
  var kindRank = { topic: 0, provider: 1, article: 2 };
  function search(query, limit) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    var hits = [];
    for (var i = 0; i < n; i++) {
      if (!visible[i]) continue;
      var at = haystack[i].indexOf(q);
      if (at < 0) continue;
      var label = info[i].l.toLowerCase();
      var rank = label === q ? 0 : label.indexOf(q) === 0 ? 1 : label.indexOf(q) > 0 ? 2 : 3;
      hits.push([rank, kindRank[info[i].k], -info[i].w, i]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]; });
    return hits.slice(0, limit || 12).map(function (h) { return h[3]; });
  }
  var box = $('ng-search'), list = $('ng-results'), results = [], active = -1;
  function renderResults() {
    list.textContent = '';
    results.forEach(function (i, k) {
      var li = document.createElement('li');
      li.id = 'ng-r' + k; li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', k === active ? 'true' : 'false');
      var kind = document.createElement('span');
      kind.className = 'ng-kind'; kind.textContent = info[i].k;
      li.appendChild(kind);
      li.appendChild(document.createTextNode(info[i].l));
      li.addEventListener('mousedown', function (ev) { ev.preventDefault(); choose(k); });
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    box.setAttribute('aria-expanded', results.length ? 'true' : 'false');
    if (active >= 0) box.setAttribute('aria-activedescendant', 'ng-r' + active);
    else box.removeAttribute('aria-activedescendant');
  }
  function choose(k) {
    var i = results[k < 0 ? 0 : k];
    if (i === undefined) return;
    results = []; active = -1; renderResults();
    select(i, true);
  }
  box.addEventListener('input', function () { results = search(box.value); active = -1; renderResults(); });
  box.addEventListener('keydown', function (ev) {
    if (ev.key === 'ArrowDown' && results.length) { active = (active + 1) % results.length; renderResults(); ev.preventDefault(); }
    else if (ev.key === 'ArrowUp' && results.length) { active = (active - 1 + results.length) % results.length; renderResults(); ev.preventDefault(); }
    else if (ev.key === 'Enter') { if (!results.length) results = search(box.value); choose(active); ev.preventDefault(); }
    else if (ev.key === 'Escape') { results = []; active = -1; renderResults(); }
  });
  box.addEventListener('blur', function () { list.hidden = true; });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === '/' && document.activeElement !== box) { box.focus(); ev.preventDefault(); }
  });

  // ---- filter controls ----
  function addOptions(select, ids, text) {
    ids.forEach(function (i) {
      var o = document.createElement('option');
      o.value = visNodes[i].id; o.textContent = text(i);
      select.appendChild(o);
    });
  }
  var topicIdx = [], providerIdx = [], dates = [];
  for (i = 0; i < n; i++) {
    if (info[i].k === 'topic') topicIdx.push(i);
    else if (info[i].k === 'provider') providerIdx.push(i);
    else if (info[i].d) dates.push(info[i].d);
  }
  topicIdx.sort(function (a, b) { return info[a].l.localeCompare(info[b].l) || a - b; });
  providerIdx.sort(function (a, b) { return info[b].w - info[a].w || info[a].l.localeCompare(info[b].l) || a - b; });
  var label = function (i) { return info[i].l + ' (' + fmt(info[i].w) + ')'; };
  addOptions($('ng-topic'), topicIdx, label);
  addOptions($('ng-provider'), providerIdx, label);
  if (dates.length) {
    dates.sort();
    ['ng-from', 'ng-to'].forEach(function (id) { $(id).min = dates[0]; $(id).max = dates[dates.length - 1]; });
  }
  ['ng-kind-article', 'ng-kind-stub', 'ng-kind-provider', 'ng-kind-topic', 'ng-topic', 'ng-provider', 'ng-from', 'ng-to']
    .forEach(function (id) { $(id).addEventListener('change', applyFilters); });
  $('ng-reset').addEventListener('click', function () {
    ['ng-kind-article', 'ng-kind-stub', 'ng-kind-provider', 'ng-kind-topic'].forEach(function (id) { $(id).checked = true; });
    ['ng-topic', 'ng-provider', 'ng-from', 'ng-to'].forEach(function (id) { $(id).value = ''; });
    applyFilters();
  });
  $('ng-physics').addEventListener('change', function () {
    network.setOptions({ physics: { enabled: $('ng-physics').checked, solver: 'forceAtlas2Based', stabilization: false } });
  });
  $('ng-fit').addEventListener('click', function () { network.fit({ animation: false }); capHubFonts(); });

  // ---- legend (shapes drawn as SVG from fixed values, no input strings) ----
  var SVG = 'http://www.w3.org/2000/svg';
  function legendRow(shape, fill, stroke, text, dash) {
    var row = document.createElement('div'); row.className = 'ng-row';
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', '18'); svg.setAttribute('height', '18');
    var el;
    if (shape === 'dot') { el = document.createElementNS(SVG, 'circle'); el.setAttribute('cx', '9'); el.setAttribute('cy', '9'); el.setAttribute('r', '6'); }
    else if (shape === 'square') { el = document.createElementNS(SVG, 'rect'); el.setAttribute('x', '3'); el.setAttribute('y', '3'); el.setAttribute('width', '12'); el.setAttribute('height', '12'); }
    else if (shape === 'star') { el = document.createElementNS(SVG, 'polygon'); el.setAttribute('points', '9,1 11,7 17,7 12,11 14,17 9,13 4,17 6,11 1,7 7,7'); }
    else { el = document.createElementNS(SVG, 'line'); el.setAttribute('x1', '1'); el.setAttribute('y1', '9'); el.setAttribute('x2', '17'); el.setAttribute('y2', '9'); el.setAttribute('stroke-width', '2'); }
    el.setAttribute('fill', fill); el.setAttribute('stroke', stroke);
    if (shape === 'dot' && fill === '#ffffff') el.setAttribute('stroke-width', '2');
    svg.appendChild(el); row.appendChild(svg);
    var span = document.createElement('span'); span.textContent = text; row.appendChild(span);
    $('ng-legend').appendChild(row);
  }
  var c = meta.colors;
  if (meta.kinds.article) {
    legendRow('dot', c.palette[0], c.palette[0], 'article; colour = group of related articles');
    legendRow('dot', '#ffffff', c.palette[1], 'stub: known only from related lists');
  }
  if (meta.kinds.provider) legendRow('square', c.provider, c.provider, 'provider (size: articles)');
  if (meta.kinds.topic) legendRow('star', c.topic, c.topic, 'topic (size: articles)');
  legendRow('line', 'none', c.edge, meta.view === 'overview' ? 'provider–topic, width: articles' : 'published by / about');
  if (relTotal) legendRow('line', 'none', c.related, 'related (shown for the selected article)');

  // hub labels: large enough to read at the first frame, but capped on screen when zoomed in
  var hubs = [], hubFont = [];
  for (i = 0; i < n; i++) if (info[i].k !== 'article' && visNodes[i].font) { hubs.push(i); hubFont.push(visNodes[i].font.size); }
  var fontTimer = null, fontScale = network.getScale();
  function capHubFonts() {
    fontTimer = null;
    var scale = network.getScale(), cap = 28 / scale, changes = [];
    hubs.forEach(function (j, k) {
      var want = Math.min(hubFont[k], Math.max(cap, 12 / scale));
      var now = visNodes[j].font.size;
      if (Math.abs(want - now) > 0.1 * now) { visNodes[j].font = { size: want, color: visNodes[j].font.color }; changes.push({ id: visNodes[j].id, font: visNodes[j].font }); }
    });
    fontScale = scale;
    if (changes.length) nodes.update(changes);
  }
  network.on('zoom', function () { if (!fontTimer) fontTimer = setTimeout(capHubFonts, 120); });

  // ---- hover tooltip (text only) ----
  var tip = $('ng-tip');
  network.on('hoverNode', function (p) {
    var d = info[indexOf.get(p.node)];
    tip.textContent = d.l + (d.k === 'article' && d.pn ? ' — ' + d.pn : '') + (d.d ? ' (' + d.d + ')' : '');
    var r = container.getBoundingClientRect();
    tip.style.left = (r.left + p.pointer.DOM.x + 12) + 'px';
    tip.style.top = (r.top + p.pointer.DOM.y + 12) + 'px';
    tip.hidden = false;
  });
  network.on('blurNode', function () { tip.hidden = true; });
  network.on('dragStart', function () { tip.hidden = true; });

  // ---- timing hooks for tests and the benchmark ----
  var clickStart = 0;
  container.addEventListener('pointerdown', function () { clickStart = performance.now(); }, true);
  function clickDone() {
    var start = clickStart;
    requestAnimationFrame(function () { api.lastClickMs = performance.now() - start; api.clicks++; });
  }
  var api = window.newsgraph = {
    network: network, nodes: nodes, stats: stats, search: search, clicks: 0, lastClickMs: null,
    select: function (id, focus) { select(id === null ? -1 : indexOf.get(id), focus); },
    selected: function () { return selected >= 0 ? visNodes[selected].id : null; },
    highlighted: function () { return highlighted.map(function (j) { return visNodes[j].id; }); },
    visibleIds: function () { return visNodes.filter(function (v, i) { return visible[i]; }).map(function (v) { return v.id; }); },
    drawnEdges: function () {
      var out = [];
      for (var k = 0; k < m; k++) {
        if (visible[eFrom[k]] && visible[eTo[k]]) out.push([visEdges[k].from, visEdges[k].to, visEdges[k].kind]);
      }
      shownRelated.forEach(function (r) { out.push([visNodes[rel[2 * r]].id, visNodes[rel[2 * r + 1]].id, 'related']); });
      return out;
    },
    domPosition: function (id) { return network.canvasToDOM(network.getPosition(id)); },
    applyFilters: applyFilters, ready: false, readyMs: null, timing: timing
  };
  updateStats();
  network.once('afterDrawing', function () {
    api.ready = true;
    api.readyMs = timing.drawn = performance.now();
    document.documentElement.setAttribute('data-ready', 'true');
  });
})();
