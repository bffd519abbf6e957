/* newsgraph page: search, filters, details and on-demand related edges over vis-network.
 * Every string from the input reaches the DOM through textContent (never innerHTML) or the
 * canvas as text; links are made only for http(s) URLs.
 * vis-network owns the canvas, zoom, pan, picking and events. This script draws the picture
 * into two cached layers (edges; nodes and labels) that every frame copies, so a frame that
 * only changes the selection (a click, a hover) costs a copy, not 10k nodes and 20k edges:
 * see 'the scene'. The neighbourhood of the selection is drawn over it in afterDrawing. */
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
  var styles = meta.styles;
  var LABEL_SCALE = options.nodes.scaling.label.drawThreshold / ARTICLE_FONT;
  var n = visNodes.length;
  var indexOf = new Map();
  for (var i = 0; i < n; i++) indexOf.set(visNodes[i].id, i);
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (x) { return String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ','); };
  var counted = function (x, noun) { return fmt(x) + ' ' + noun + (x === 1 ? '' : 's'); };
  var articles = function (x) { return counted(x, 'article'); };
  // Text put in the page's panels, cut after SHOWN_MAX characters (saying how long it was):
  // a topic of 100,000 letters without a space (a broken feed's) froze the page for 25 s
  // while Chromium wrapped it in the details panel, its time growing as the square of the length.
  var SHOWN_MAX = 2000;
  var shown = function (text) {
    text = String(text);
    if (text.length <= SHOWN_MAX) return text;
    var chars = Array.from(text);   // characters, not UTF-16 units: never half of an emoji
    return chars.length <= SHOWN_MAX ? text : chars.slice(0, SHOWN_MAX).join('') + '… (' + fmt(chars.length) + ' characters)';
  };
  // Text kept apart in the reading order from what is put beside it (a first-strong isolate),
  // the direction controls in it dropped (one closing the isolate early would undo it).
  var isolated = function (text) { return '\u2068' + text.replace(/[\u202a-\u202e\u2066-\u2069]/g, '') + '\u2069'; };

  // adjacency: structural edges (drawn) and related edges (drawn on demand)
  var nbrs = new Array(n);
  for (i = 0; i < n; i++) nbrs[i] = [];
  var edgeCount = visEdges.kind.length, eFrom = new Int32Array(edgeCount), eTo = new Int32Array(edgeCount), eWidth = new Float32Array(edgeCount);
  var edgesOf = new Array(n);
  for (i = 0; i < n; i++) edgesOf[i] = [];
  var pairs = visEdges.pairs, widths = visEdges.width;
  for (var k = 0; k < edgeCount; k++) {
    var ea = pairs[2 * k], eb = pairs[2 * k + 1];
    eFrom[k] = ea; eTo[k] = eb; eWidth[k] = widths ? widths[k] : 0;
    nbrs[ea].push(eb); nbrs[eb].push(ea); edgesOf[ea].push(k); edgesOf[eb].push(k);
  }
  // related edges: per node how many it points to, then the targets delta-coded (see
  // _related_block). Decoded after the first frame (or at the first selection, if sooner):
  // nothing on the first frame needs them but their number.
  // Related edge r joins relSrc[r] and relDst[r]; the edges of node i are
  // relOut[relStart[i] .. relStart[i + 1] - 1] (typed arrays: 100k+ of them).
  var relTotal = meta.related.to.length, relReady = false;
  var relSrc = new Int32Array(relTotal), relDst = new Int32Array(relTotal);
  var relStart = new Int32Array(n + 1), relOut = new Int32Array(0);
  function ensureRelated() {
    if (relReady) return;
    relReady = true;
    var relCount = meta.related.count, relTo = meta.related.to, r = 0, i, q, prev;
    for (i = 0; i < n; i++) {
      for (q = 0, prev = 0; q < relCount[i]; q++, r++) { prev = q ? prev + relTo[r] : relTo[r]; relSrc[r] = i; relDst[r] = prev; }
    }
    var fill = new Int32Array(n + 1);
    for (r = 0; r < relTotal; r++) { fill[relSrc[r] + 1]++; if (relDst[r] !== relSrc[r]) fill[relDst[r] + 1]++; }
    for (i = 0; i < n; i++) fill[i + 1] += fill[i];
    relStart.set(fill);
    relOut = new Int32Array(fill[n]);
    for (r = 0; r < relTotal; r++) {
      relOut[fill[relSrc[r]]++] = r;
      if (relDst[r] !== relSrc[r]) relOut[fill[relDst[r]]++] = r;
    }
  }
  function relatedOf(i, each) { for (var k = relStart[i]; k < relStart[i + 1]; k++) each(relOut[k]); }
  // provider and topic names of articles, from their nodes (ego views carry names of the others)
  info.forEach(function (d) {
    if (d.k !== 'article') return;
    if (d.p === undefined) d.p = -1; else d.pn = info[d.p].l;
    d.tl = d.t.map(function (t) { return info[t].l; }).concat(d.tx || []);
  });

  // A hub's articles on this page: on a centred page (newsgraph html --topic ...) fewer than
  // its articles in the corpus (d.w), which the filters and details must not pass for the page's.
  var onPage = new Int32Array(n), stubsOnPage = new Int32Array(n), articleKinds = { article: false, stub: false };
  info.forEach(function (d) {
    if (d.k !== 'article') return;
    articleKinds[d.s ? 'stub' : 'article'] = true;
    if (d.p >= 0) { onPage[d.p]++; stubsOnPage[d.p] += d.s ? 1 : 0; }
    d.t.forEach(function (t) { onPage[t]++; stubsOnPage[t] += d.s ? 1 : 0; });
  });
  var pageHasArticles = articleKinds.article || articleKinds.stub;
  function articleCount(i, stubs) {   // stubs: say how many of the page's are stubs (the details)
    var w = info[i].w, s = stubs && stubsOnPage[i] ? ' (' + fmt(stubsOnPage[i]) + ' of them stubs)' : '';
    // the overview draws no article: its hubs bring their stubs' count (ws)
    if (!pageHasArticles && stubs && info[i].ws) s = ' (' + fmt(info[i].ws) + ' of them stubs)';
    if (!pageHasArticles || onPage[i] === w) return fmt(w) + s;
    return fmt(onPage[i]) + ' on this page' + s + ', ' + fmt(w) + ' in all';
  }

  timing.indexed = performance.now();
  // vis-network gets bare nodes: position, size and a 'custom' shape whose renderer draws
  // nothing. It still places, picks and hovers them (from x, y and size), but every pixel
  // is drawn by this script into a cached layer (see 'the scene' below).
  // Creating a vis-network node costs ~50 us whatever its options, so the network starts
  // with the four outermost nodes of the layout (the view is fitted by fitNodes, from the
  // page's own positions) and gets the rest in slices after the first frame (see
  // 'progressive loading').
  var noDraw = function () { return {}; };
  var bare = new Array(n), inNetwork = new Uint8Array(n), outer = [0, 0, 0, 0];
  for (i = 0; i < n; i++) {
    var v = visNodes[i], r = v.r;
    bare[i] = { id: v.id, x: v.x, y: v.y, size: r, shape: 'custom' };
    if (v.x - r < visNodes[outer[0]].x - visNodes[outer[0]].r) outer[0] = i;
    if (v.x + r > visNodes[outer[1]].x + visNodes[outer[1]].r) outer[1] = i;
    if (v.y - r < visNodes[outer[2]].y - visNodes[outer[2]].r) outer[2] = i;
    if (v.y + r > visNodes[outer[3]].y + visNodes[outer[3]].r) outer[3] = i;
  }
  options.nodes.ctxRenderer = noDraw;
  var nodes = new vis.DataSet(n ? Array.from(new Set(outer)).map(function (j) { inNetwork[j] = 1; return bare[j]; }) : []);
  timing.dataset = performance.now();
  var container = $('ng-canvas');
  var network = new vis.Network(container, { nodes: nodes, edges: new vis.DataSet([]) }, options);
  // the graph's tab stop (vis-network's frame) says what it is and what its keys do
  var frame = container.querySelector('.vis-network');
  if (frame) { frame.setAttribute('role', 'application'); frame.setAttribute('aria-label', 'graph: arrow keys move the view, + and - zoom'); }
  // The renderer above draws nothing, yet vis-network's per-node wrapper around it (style
  // values copied into a new object, save/restore) costs ~5 us a node on every frame: 60-160 ms
  // a click on the 10,000-article page. Every node here is such a node, so their shared draw
  // keeps only what picking and hovering read: the shape's size and place and the bounding
  // box (what the custom shape's own draw sets, minus the drawing). Guarded: with another
  // vis-network the wrapper stays.
  var firstNode = n ? network.body.nodes[visNodes[outer[0]].id] : null;
  var nodeProto = firstNode && Object.getPrototypeOf(firstNode);
  if (nodeProto && typeof nodeProto.draw === 'function' && typeof nodeProto.updateBoundingBox === 'function' &&
      firstNode.shape && typeof firstNode.shape.resize === 'function') {
    nodeProto.draw = function (ctx) {
      var shape = this.shape;
      shape.resize(ctx, this.selected, this.hover);
      shape.left = this.x - shape.width / 2;
      shape.top = this.y - shape.height / 2;
      this.updateBoundingBox(ctx, this.selected);
      return {};
    };
  }
  timing.network = performance.now();

  $('ng-title').textContent = shown(meta.title);
  $('ng-empty').hidden = n > 0;   // a blank canvas said nothing of why
  $('ng-side').hidden = n === 0;   // its controls have nothing to act on: it showed empty headings

  // ---- visibility (filters) ----
  var visible = new Uint8Array(n).fill(1);
  var shownRelated = [];   // related edges (numbers r) of the selection
  var selected = -1;

  function isArticle(i) { return info[i].k === 'article'; }
  function applyFilters() {
    var kind = {
      article: $('ng-kind-article').checked, stub: $('ng-kind-stub').checked,
      provider: $('ng-kind-provider').checked, topic: $('ng-kind-topic').checked
    };
    var topicId = $('ng-topic').value, providerId = $('ng-provider').value;
    var topic = topicId ? indexOf.get(topicId) : -1, provider = providerId ? indexOf.get(providerId) : -1;
    var from = $('ng-from').value, to = $('ng-to').value;
    var narrowed = topic >= 0 || provider >= 0 || !!(from || to);
    var next = new Uint8Array(n), used = new Uint8Array(n);
    for (var i = 0; i < n; i++) {
      var d = info[i];
      if (d.k !== 'article') continue;
      var ok = d.s ? kind.stub : kind.article;
      if (ok && topic >= 0) ok = d.t.indexOf(topic) >= 0;
      if (ok && provider >= 0) ok = d.p === provider;
      if (ok && (from || to)) ok = !!d.d && (!from || d.d >= from) && (!to || d.d <= to);
      if (ok) {
        next[i] = 1;
        if (d.p >= 0) used[d.p] = 1;
        d.t.forEach(function (t) { used[t] = 1; });
      }
    }
    for (i = 0; i < n; i++) {
      var k = info[i].k;
      if (k === 'article') continue;
      var on = k === 'provider' ? kind.provider : kind.topic;
      // narrowed: a hub stays only when a shown article points at it (or it is the filter itself)
      if (on && narrowed) on = used[i] === 1 || i === topic || i === provider;
      next[i] = on ? 1 : 0;
    }
    var nodeChanges = [];
    for (i = 0; i < n; i++) {
      // nodes not yet in the network take their state when they are added
      if (next[i] !== visible[i] && inNetwork[i]) nodeChanges.push({ id: visNodes[i].id, hidden: !next[i] });
    }
    visible = next;
    nodes.update(nodeChanges);   // hidden nodes: vis-network must not pick them
    invalidate();
    // a selection that stays is selected again: its highlighted neighbourhood is what is visible now
    if (selected >= 0) select(visible[selected] ? selected : -1);
    updateStats();
    network.redraw();
  }

  // ---- selection: details, neighbours, related edges ----
  function showRelated(i) {
    ensureRelated();
    shownRelated = [];
    if (i < 0) return;
    relatedOf(i, function (r) { if (visible[relSrc[r]] && visible[relDst[r]]) shownRelated.push(r); });
  }

  // ---- the scene: edges, nodes and labels, drawn once per view into a cached layer ----
  // A frame that only changes the selection (a click, a hover) copies the cached bitmap
  // instead of drawing thousands of edges and nodes again; the layer is redrawn when the
  // view transform, the canvas size, the filters or the positions change.
  var bodyNodes = network.body && network.body.nodes;
  var px = new Float64Array(n), py = new Float64Array(n);
  function positions() {
    for (var i = 0; i < n; i++) {
      var b = bodyNodes && bodyNodes[visNodes[i].id];
      px[i] = b ? b.x : visNodes[i].x; py[i] = b ? b.y : visNodes[i].y;
    }
  }
  // The view that shows the nodes `list` (indices; null: all of them) whole, with the labels
  // they would have, where they are now, in the part of the canvas the details leave
  // uncovered, zoomed in at most to `most`. Shared by Fit to screen, the opening view and
  // the focus on a provider or topic.
  function fitNodes(list, most) {
    positions();
    var room = uncovered(true), x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    var members = [];
    function take(j) {
      var r = visNodes[j].r;
      x0 = Math.min(x0, px[j] - r); x1 = Math.max(x1, px[j] + r);
      y0 = Math.min(y0, py[j] - r); y1 = Math.max(y1, py[j] + r);
      if (visible[j] && (visNodes[j].f || info[j].k === 'article')) members.push(j);
    }
    // all: what the filters show (Fit to screen after choosing a topic framed the whole graph)
    if (list) list.forEach(take); else for (var j = 0; j < n; j++) if (visible[j]) take(j);
    if (x0 > x1) return;
    function scaleFor(b) {
      return Math.min(most, 0.9 * Math.min(room.width / Math.max(b.x1 - b.x0, 1), room.height / Math.max(b.y1 - b.y0, 1)));
    }
    // Labels hang centred below their nodes: the outermost ones were cut at the canvas's
    // edge (a big hub's name at the side, a title on a small page). The box is widened by
    // the labels drawn at the scale tried (`titles`: articles' too), and the scale lowered
    // until they fit.
    function widened(scale, titles) {
      var b = { x0: x0, x1: x1, y0: y0, y1: y1 };
      for (var m = 0; m < members.length; m++) {
        var k = members[m], cssPx = titles || visNodes[k].f ? drawnLabelPx(k, scale) : 0, r = visNodes[k].r;
        // drawn at the fixed size nearest (up to LABEL_SLACK larger)
        cssPx *= LABEL_SLACK;
        // The selection's is drawn whatever the zoom (afterDrawing): bold, at least 12 px, below
        // a node at least 10 px in radius. Counted only where the scene drew it, an article
        // chosen in the search lay at the canvas's edge, its title cut (100 of 200 at random).
        if (k === selected) { cssPx = 1.1 * Math.max(cssPx, 12); r = Math.max(r, 10 / scale); }
        if (!cssPx) continue;
        var half = labelWidth(k) * cssPx / LABEL_MEASURE / 2;
        // A label of a fixed size on screen as wide as the fitted part of the room cannot be
        // whole at any zoom, and the fit would zoom out for ever (the selection's, on a phone):
        // counted at most that wide, and cut evenly at both ends.
        if (k === selected) half = Math.min(half, 0.44 * room.width);
        half /= scale;
        b.x0 = Math.min(b.x0, px[k] - half); b.x1 = Math.max(b.x1, px[k] + half);
        b.y1 = Math.max(b.y1, py[k] + r + 4 + 1.3 * cssPx / scale);
      }
      return b;
    }
    var scale = scaleFor({ x0: x0, x1: x1, y0: y0, y1: y1 });
    for (var round = 0; round < 6; round++) {
      var need = scaleFor(widened(scale, true));
      if (need >= scale * 0.999) break;
      if (scale >= LABEL_SCALE && need < LABEL_SCALE) {
        // Titles show from LABEL_SCALE on, and here the labels are not whole at any scale
        // that shows them. The nodes fit there: a page that small is for its titles, so they
        // are shown, from there, the outermost labels cut evenly (zoomed out to fit them,
        // three articles and their hubs opened as unlabelled dots).
        scale = LABEL_SCALE;
        break;
      }
      scale = need;
    }
    var box = widened(scale, true);
    network.moveTo({ position: { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 }, offset: { x: room.x, y: room.y },
                     scale: scale, animation: false });
  }
  // The size on screen (CSS px) of node j's label in the scene at `scale`; 0 when not drawn there.
  function drawnLabelPx(j, scale) {
    if (visNodes[j].f) { var hub = hubLabelSize(j, scale) * scale; return hub >= 6 ? hub : 0; }
    return scale >= LABEL_SCALE ? ARTICLE_FONT * scale : 0;
  }
  // The width of node j's label at LABEL_MEASURE px (measured once: a label's width follows its size)
  var LABEL_MEASURE = 100, labelWidths = new Float64Array(n).fill(-1), measuring = null;
  function labelWidth(j) {
    if (labelWidths[j] < 0) {
      if (!measuring) { measuring = document.createElement('canvas').getContext('2d'); measuring.font = LABEL_MEASURE + 'px system-ui, sans-serif'; }
      labelWidths[j] = measuring.measureText(shortLabel(j)).width;
    }
    return labelWidths[j];
  }
  // The whole graph in view, where physics or dragging left its nodes (the outermost nodes of
  // the layout were fitted: 1,808 of 5,062 nodes were off the canvas after physics), zoomed in
  // up to where article titles read at TITLE_PX: vis-network's own fit stops at 1, which left
  // a page of a few articles a speck in the corner of the canvas, its titles unshown; zoomed in
  // only to where titles show, a small page's were 8 px under its hubs' 28 px names, in a
  // canvas mostly empty.
  var TITLE_PX = 12;
  function fitAll() { fitNodes(null, Math.max(LABEL_SCALE * 1.25, TITLE_PX / ARTICLE_FONT)); fitted = fittedKey(); }
  // A fitted view stays fitted when the canvas changes size, until something else moves it:
  // vis-network keeps the scale in proportion to the canvas instead, and a narrow window's
  // canvas settles after the opening fit (a page of three articles opened at 0.97 times
  // the zoom that shows titles, so without them). The view's translation, not its centre:
  // vis-network reports the resize with the canvas resized and the view not yet moved.
  var fitted = null;
  function fittedKey() { var t = network.body.view.translation; return [network.getScale(), t.x, t.y].join(' '); }
  network.on('resize', function () {
    if (fitted !== null && fitted === fittedKey()) Promise.resolve().then(fitAll);  // once vis-network has moved it
  });
  // Shapes of one style, filled and then outlined together, in paths of at most PATH_SHAPES
  // shapes (a selection's edges too): Chromium's time to make or draw one path grew with the
  // square of its parts (64,000 topics' stars in one path took 28 s to draw, the page that
  // long to open; a topic's 20,000 edges, stroked as one path, 4.5 s to highlight).
  var PATH_SHAPES = 1000;
  function ShapeBatch(shape) { this.shape = shape; this.paths = []; this.count = 0; }
  ShapeBatch.prototype.add = function (x, y, r) {
    if (this.count++ % PATH_SHAPES === 0) this.paths.push(new Path2D());
    shapePath(this.paths[this.paths.length - 1], this.shape, x, y, r);
  };
  ShapeBatch.prototype.draw = function (ctx, fill, border, width) {   // fills, then (given a border) outlines
    if (!this.count) return;
    ctx.fillStyle = fill;
    this.paths.forEach(function (path) { ctx.fill(path); });
    if (!border) return;
    ctx.lineWidth = width; ctx.strokeStyle = border;
    this.paths.forEach(function (path) { ctx.stroke(path); });
  };
  // `parts`: edges a path holds at most (the scene's: one path a slice of EDGE_SLICE, as its
  // translucent edges were drawn; more paths would darken where edges cross between them)
  function strokeEdges(ctx, list, colour, width, parts) {
    ctx.strokeStyle = colour; ctx.lineWidth = width;
    var step = 2 * (parts || list.length);   // list entries a path takes
    for (var start = 0; start < list.length; start += step) {
      ctx.beginPath();
      var end = Math.min(list.length, start + step);
      for (var k = start; k < end; k += 2) { ctx.moveTo(px[list[k]], py[list[k]]); ctx.lineTo(px[list[k + 1]], py[list[k + 1]]); }
      ctx.stroke();
    }
  }
  // drawing styles (meta.styles: shape, fill, border, border width): one path per style
  var styleOf = new Int32Array(n);
  for (i = 0; i < n; i++) styleOf[i] = visNodes[i].c;
  styles.forEach(function (st) { st.hub = st.shape !== 'dot'; });
  // Two cached layers: the edges under the nodes and labels. The nodes layer is drawn at once;
  // on a large graph the edges layer is filled in slices of EDGE_SLICE edges, one task each,
  // so the picture and the page answer first (and a zoom is not held up by 20k edges).
  var EDGE_SLICE = 2500;
  var LABEL_SIZES = [6, 7, 8, 10, 12, 14, 17, 20, 24, 28];   // CSS px on screen
  var LABEL_SLACK = 1.08;   // a label is drawn at the largest of them up to this much above its size
  function makeLayer() { var c = document.createElement('canvas'); return { canvas: c, ctx: c.getContext('2d') }; }
  var edgeLayer = makeLayer(), nodeLayer = makeLayer();
  var layerKey = '', sceneVersion = 0, viewDragging = false, edgeJob = null;
  var view = { m: null, w: 0, h: 0, scale: 1, x0: 0, y0: 0, x1: 0, y1: 0, inView: new Uint8Array(n) };
  function invalidate() { sceneVersion++; }
  function clearLayer(layer, m, w, h) {
    if (layer.canvas.width !== w || layer.canvas.height !== h) { layer.canvas.width = w; layer.canvas.height = h; }
    else { layer.ctx.setTransform(1, 0, 0, 1, 0, 0); layer.ctx.clearRect(0, 0, w, h); }
    layer.ctx.setTransform(m);
  }
  function measureView(m, w, h) {
    view.m = m; view.w = w; view.h = h; view.scale = network.getScale();
    view.x0 = -m.e / m.a; view.y0 = -m.f / m.d; view.x1 = (w - m.e) / m.a; view.y1 = (h - m.f) / m.d;
    positions();
    for (var j = 0; j < n; j++) {
      var r = visNodes[j].r + 2;
      view.inView[j] = visible[j] && px[j] + r >= view.x0 && px[j] - r <= view.x1 && py[j] + r >= view.y0 && py[j] - r <= view.y1 ? 1 : 0;
    }
  }
  function drawEdges(ctx, from, to) {   // structural edges number from..to-1 that show in the view
    var plain = [], scale = view.scale, inView = view.inView, s, d;
    for (var k = from; k < to; k++) {
      s = eFrom[k]; d = eTo[k];
      if (!visible[s] || !visible[d] || !(inView[s] || inView[d] || crosses(s, d))) continue;
      if (eWidth[k]) { strokeEdges(ctx, [s, d], meta.colors.edge, eWidth[k] / scale); continue; }
      plain.push(s, d);
    }
    strokeEdges(ctx, plain, meta.colors.edge, 0.8 / scale);
  }
  function crosses(s, d) {   // both ends outside the view: drawn unless both lie beyond one side
    return !((px[s] < view.x0 && px[d] < view.x0) || (px[s] > view.x1 && px[d] > view.x1) ||
             (py[s] < view.y0 && py[d] < view.y0) || (py[s] > view.y1 && py[d] > view.y1));
  }
  function drawNodes(ctx) {
    var m = view.m, scale = view.scale, inView = view.inView, j;
    var pr = m.a / scale;   // device pixels per CSS pixel
    // providers and topics, then articles, in vis-network's order (what is drawn on top is what
    // a click picks); one path per style. A node under 1.25 device pixels across is a square of
    // its border colour: the same picture at that size, and much cheaper than a stroked arc.
    for (var pass = 0; pass < 2; pass++) {
      styles.forEach(function (st, si) {
        if (st.hub !== (pass === 0)) return;
        var round = new ShapeBatch(st.shape), tiny = new ShapeBatch('square'), rmin = Infinity;
        for (var j = 0; j < n; j++) {
          if (styleOf[j] !== si || !inView[j]) continue;
          var r = visNodes[j].r;
          if (st.shape === 'dot' && r * m.a < 1.25) {
            tiny.add(px[j], py[j], r + 0.5 * st.width / scale);
            continue;
          }
          if (r < rmin) rmin = r;
          round.add(px[j], py[j], r);
        }
        tiny.draw(ctx, st.border);
        round.draw(ctx, st.fill, st.border, Math.min(2 * rmin, st.width / scale));
      });
    }
    // labels: canvas text (never markup), drawn in device pixels at a few fixed sizes: glyphs
    // are rasterised once per size (a new size costs far more than a label: 400 labels took
    // 160-200 ms at 8 sizes and ~400 ms at 23)
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.textAlign = 'center'; ctx.textBaseline = 'hanging'; ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 3 * pr;
    // where a label of cssPx goes (device pixels, its font set): under its node, at the
    // nearest of the fixed sizes
    function placeLabel(j, cssPx) {
      var size = LABEL_SIZES[0];
      for (var k = 1; k < LABEL_SIZES.length && LABEL_SIZES[k] <= cssPx * LABEL_SLACK; k++) size = LABEL_SIZES[k];
      if (size !== fontSize) { fontSize = size; ctx.font = size * pr + 'px system-ui, sans-serif'; }   // setting it costs
      return { x: m.a * px[j] + m.e, y: m.d * (py[j] + visNodes[j].r + 4) + m.f };
    }
    var fontSize = 0;
    function text(j, t, cssPx) {
      var at = placeLabel(j, cssPx);
      ctx.strokeText(t, at.x, at.y);
      ctx.fillText(t, at.x, at.y);
    }
    // where a label would lie, to leave out one that would cover another
    function labelBox(j, t, cssPx) {
      var at = placeLabel(j, cssPx);
      return textBox(ctx, t, at.x, at.y);
    }
    // A label that would cover one placed already is left out (it shows when zoomed in, and
    // in the tooltip): hubs first, the largest first, then articles, the most connected
    // first. On the overview's first frame 189 of its 244 hub labels overlapped, a pile no
    // one could read; zoomed in to titles, articles' did as much.
    var space = labelSpace(64 * pr), kept = [];
    for (var h = hubs.length - 1; h >= 0; h--) {
      j = hubs[h];
      // vis-network's rule: not drawn below 6 px on screen; at most 28 px on screen
      var cssPx = hubLabelSize(j, scale) * scale;
      if (!visible[j] || cssPx < 6 || px[j] < view.x0 - 2000 || px[j] > view.x1 + 2000 ||
          py[j] < view.y0 - 200 || py[j] > view.y1 + 200) continue;
      if (space.take(labelBox(j, shortLabel(j), cssPx))) kept.push([j, cssPx]);
    }
    if (scale >= LABEL_SCALE) {
      ctx.fillStyle = meta.colors.highlight;
      var order = articlesHeaviestFirst();
      for (h = 0; h < order.length; h++) {
        j = order[h];
        if (!inView[j]) continue;
        var t = shortLabel(j);
        if (space.take(labelBox(j, t, ARTICLE_FONT * scale))) text(j, t, ARTICLE_FONT * scale);
      }
    }
    for (h = kept.length - 1; h >= 0; h--) {   // drawn smallest first: a large label on top of a halo
      ctx.fillStyle = styles[styleOf[kept[h][0]]].fill;
      text(kept[h][0], shortLabel(kept[h][0]), kept[h][1]);
    }
    ctx.restore();
  }
  function edgeSlice() {
    var job = edgeJob;
    if (!job || job.key !== layerKey) return;   // the view changed: a newer job took over
    var to = Math.min(edgeCount, job.next + EDGE_SLICE);
    drawEdges(edgeLayer.ctx, job.next, to);
    job.next = to;
    if (to < edgeCount) setTimeout(edgeSlice, 0);
    else { edgeJob = null; api.edgesDrawn = true; timing.edges = timing.edges || performance.now(); }
    requestRedraw();
  }
  // one redraw per frame however many slices finished (network.redraw() draws at once)
  var redrawQueued = false;
  function requestRedraw() {
    if (redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(function () { redrawQueued = false; network.redraw(); });
  }
  network.on('beforeDrawing', function (ctx) {
    var m = ctx.getTransform(), w = ctx.canvas.width, h = ctx.canvas.height;
    if (physicsOn) invalidate();
    var key = [m.a, m.b, m.c, m.d, m.e, m.f, w, h, sceneVersion, viewDragging].join(' ');
    if (key !== layerKey) {
      layerKey = key;
      measureView(m, w, h);
      clearLayer(edgeLayer, m, w, h);
      clearLayer(nodeLayer, m, w, h);
      drawNodes(nodeLayer.ctx);
      edgeJob = null;
      // edges: not while the view is dragged (as vis-network's hideEdgesOnDrag); at once while
      // physics moves the nodes (every frame is a new scene)
      api.edgesDrawn = false;
      if (!viewDragging && edgeCount > EDGE_SLICE && !physicsOn) { edgeJob = { key: key, next: 0 }; setTimeout(edgeSlice, 0); }
      else if (!viewDragging) { drawEdges(edgeLayer.ctx, 0, edgeCount); api.edgesDrawn = true; timing.edges = timing.edges || performance.now(); }
      timing.layers = (timing.layers || 0) + 1;
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(edgeLayer.canvas, 0, 0);
    ctx.drawImage(nodeLayer.canvas, 0, 0);
    ctx.restore();
  });
  network.on('dragStart', function (p) { if (!p.nodes.length) viewDragging = true; });
  network.on('dragEnd', function () { viewDragging = false; network.redraw(); });
  network.on('dragging', function (p) { if (p.nodes.length) invalidate(); });   // a node moved

  function field(dl, name, value) {
    if (value === null || value === undefined || value === '') return;
    var dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = name; dd.textContent = shown(value);
    dl.appendChild(dt); dl.appendChild(dd);
  }
  function safeHref(url) {
    if (typeof url !== 'string') return null;
    try { var u = new URL(url); } catch (err) { return null; }
    return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
  }
  function showDetails(i) {
    ensureRelated();
    var panel = $('ng-details');
    if (i < 0) { panel.hidden = true; return; }
    var d = info[i];
    var what = d.v ? 'video' : 'article';   // a video item (type: video): the page plays nothing, it links to it
    $('ng-d-kind').textContent = d.k === 'article' ? (d.s ? what + ' (stub: known only from related lists)' : what) : d.k;
    $('ng-d-title').textContent = shown(d.l);
    var dl = $('ng-d-fields');
    dl.textContent = '';
    if (d.k === 'article') {
      field(dl, 'Provider', d.pn);
      field(dl, d.dd ? 'Published' : 'Published (UTC)', d.d);   // a date-time's day in UTC, a date as written
      field(dl, 'On its site', d.h ? 'not shown (published: false)' : null);
      field(dl, 'Topics', d.tl.join(', '));
      // distinct articles: two articles that list each other are joined by two edges
      var relatedTo = new Set();
      relatedOf(i, function (r) { relatedTo.add(relSrc[r] === i ? relDst[r] : relSrc[r]); });
      // a centred page draws some of them: says so, as a hub's count does (d.rn: all of them)
      var inAll = d.rn !== undefined && d.rn !== relatedTo.size;
      field(dl, 'Related', inAll ? fmt(relatedTo.size) + ' on this page, ' + fmt(d.rn) + ' in all'
        : relatedTo.size ? articles(relatedTo.size) : null);
      field(dl, 'Group', meta.groups[d.g] !== undefined ? meta.groups[d.g] + ' (' + articles(meta.groupSizes[d.g]) +
        (meta.centre !== undefined ? ' on this page' : '') + ')' : null);
    } else {
      field(dl, d.k === 'provider' ? 'Domain' : 'Key', d.x);
      field(dl, 'Articles', articleCount(i, true));
    }
    $('ng-d-excerpt').textContent = shown(d.e || '');
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
  function shapePath(ctx, shape, x, y, r) {   // adds to the current path (or a Path2D)
    if (shape === 'square') { ctx.moveTo(x - r, y - r); ctx.rect(x - r, y - r, 2 * r, 2 * r); }
    else if (shape === 'star') {
      for (var k = 0; k < 10; k++) {
        var a = -Math.PI / 2 + k * Math.PI / 5, rr = k % 2 ? r * 0.45 : r * 1.1;
        if (k) ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a)); else ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      ctx.closePath();
    } else { ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); }
  }
  function drawShape(ctx, j, r) {
    ctx.beginPath();
    shapePath(ctx, styles[styleOf[j]].shape, px[j], py[j], r);
  }
  // Canvas labels without what a canvas cannot show or should not obey: controls (drawn as
  // boxes) and bidirectional overrides (which reversed a label and moved its ellipsis).
  var UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  var LINE_BREAKS = /[\t\n\r\u2028\u2029]+/g;   // a space, as the details show them
  var shownLabels = new Array(n);
  function labelText(j) {
    var t = shownLabels[j];
    if (t === undefined) t = shownLabels[j] = info[j].l.replace(LINE_BREAKS, ' ').replace(UNSHOWN, '');
    return t;
  }
  // a label as drawn on the canvas: cut to labelMax (the details and the tooltip show it whole)
  function shortLabel(j) {
    var t = labelText(j), cut = meta.labelMax - 1;
    if (t.length <= meta.labelMax) return t;
    var c = t.charCodeAt(cut - 1);
    if (c >= 0xD800 && c <= 0xDBFF) cut--;   // never half of a surrogate pair (an emoji drawn as U+FFFD)
    return t.slice(0, cut) + '\u2026';
  }
  function nodeLabel(ctx, j, text, radius) {   // radius: the node's as drawn, when not its own
    var y = py[j] + (radius || visNodes[j].r) + 4;
    ctx.strokeText(text, px[j], y);
    ctx.fillText(text, px[j], y);
  }
  // The box of text `t` drawn centred on x and hanging from y, in ctx's units, its font set:
  // the font's line (what any text of it may fill), else the text's own glyphs.
  function textBox(ctx, t, x, y) {
    var m = ctx.measureText(t), half = m.width / 2, line = m.fontBoundingBoxAscent !== undefined;
    var up = line ? m.fontBoundingBoxAscent : m.actualBoundingBoxAscent;
    var down = line ? m.fontBoundingBoxDescent : m.actualBoundingBoxDescent;
    return { x0: x - half, x1: x + half, y0: y - up, y1: y + down };
  }
  // Where labels lie, to leave out one that would cover another: boxes ({x0, x1, y0, y1})
  // filed in a grid of square cells, so that a check looks at the few boxes near it.
  function labelSpace(cell) {
    var grid = new Map();
    function cells(box, each) {
      for (var x = Math.floor(box.x0 / cell); x <= Math.floor(box.x1 / cell); x++) {
        for (var y = Math.floor(box.y0 / cell); y <= Math.floor(box.y1 / cell); y++) if (each(x + ',' + y)) return true;
      }
      return false;
    }
    return {
      // whether `box` covers no box taken; if so it is taken (`always`: taken whatever it covers)
      take: function (box, always) {
        var covers = cells(box, function (key) {
          var list = grid.get(key);
          return list !== undefined && list.some(function (b) { return b.x0 < box.x1 && box.x0 < b.x1 && b.y0 < box.y1 && box.y0 < b.y1; });
        });
        if (covers && !always) return false;
        cells(box, function (key) { var list = grid.get(key); if (list) list.push(box); else grid.set(key, [box]); });
        return true;
      }
    };
  }
  function heavierFirst(a, b) { return info[b].w - info[a].w || a - b; }   // the most connected first
  var heaviestFirst = null;
  function articlesHeaviestFirst() {   // the articles, the most connected first (sorted once)
    if (heaviestFirst) return heaviestFirst;
    heaviestFirst = [];
    for (var j = 0; j < n; j++) if (info[j].k === 'article') heaviestFirst.push(j);
    return heaviestFirst.sort(heavierFirst);
  }
  // hub labels: large enough to read at the first frame, at most 28 px on screen when zoomed in
  var hubs = [];
  for (i = 0; i < n; i++) if (visNodes[i].f) hubs.push(i);
  // the largest last: a big topic's label is drawn over the halo of a small provider's
  hubs.sort(function (a, b) { return visNodes[a].f - visNodes[b].f || a - b; });
  function hubLabelSize(j, scale) { return Math.min(visNodes[j].f, 28 / scale); }

  // ---- the selection, drawn over the cached scene ----
  network.on('afterDrawing', function (ctx) {
    if (selected < 0) return;
    var scale = network.getScale(), w = container.clientWidth, h = container.clientHeight;
    var a = network.DOMtoCanvas({ x: 0, y: 0 }), b = network.DOMtoCanvas({ x: w, y: h });
    ctx.save();
    ctx.textAlign = 'center'; ctx.textBaseline = 'hanging';
    ctx.fillStyle = 'rgba(255,255,255,0.72)';   // veil the rest
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    var own = [], relList = [];
    edgesOf[selected].forEach(function (k) { if (visible[eFrom[k]] && visible[eTo[k]]) own.push(eFrom[k], eTo[k]); });
    shownRelated.forEach(function (r) { relList.push(relSrc[r], relDst[r]); });
    ctx.globalAlpha = 0.8;
    strokeEdges(ctx, relList, meta.colors.related, 1.5 / scale, PATH_SHAPES);
    ctx.globalAlpha = 1;
    strokeEdges(ctx, own, meta.colors.highlight, 1.5 / scale, PATH_SHAPES);
    // The selection's own label in the scene, pale under the veil, showed around the one
    // drawn below at another size (a pink "Computer Vision" behind the bold one): its place
    // is whited out first.
    var sceneCss = visible[selected] ? drawnLabelPx(selected, scale) : 0;
    if (sceneCss) {
      ctx.font = sceneCss * LABEL_SLACK / scale + 'px system-ui, sans-serif';
      var ghost = textBox(ctx, shortLabel(selected), px[selected], py[selected] + visNodes[selected].r + 4), pad = 2 / scale;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(ghost.x0 - pad, ghost.y0 - pad, ghost.x1 - ghost.x0 + 2 * pad, ghost.y1 - ghost.y0 + 2 * pad);
    }
    // the selection at least 10 px in radius on screen, its label below that: zoomed out, a
    // topic's star was a speck lost in the bundle of its own edges
    var selectedR = Math.max(visNodes[selected].r, 10 / scale);
    function radius(j) { return j === selected ? selectedR : visNodes[j].r; }
    // the neighbours in view, by style (hubs, then articles, as the scene draws them), then the
    // selection on top
    var batches = styles.map(function (st) { return new ShapeBatch(st.shape); });
    highlighted.forEach(function (j) {
      var r = radius(j), reach = 1.1 * r + 1.5 / scale;   // a star's tips, and its outline
      if (j === selected || px[j] + reach < a.x || px[j] - reach > b.x || py[j] + reach < a.y || py[j] - reach > b.y) return;
      batches[styleOf[j]].add(px[j], py[j], r);
    });
    for (var pass = 0; pass < 2; pass++) {
      styles.forEach(function (st, si) { if (st.hub === (pass === 0)) batches[si].draw(ctx, st.fill, st.border, 1.5 / scale); });
    }
    drawShape(ctx, selected, selectedR);
    ctx.fillStyle = styles[styleOf[selected]].fill; ctx.fill();
    ctx.lineWidth = 3 / scale; ctx.strokeStyle = meta.colors.highlight; ctx.stroke();
    ctx.fillStyle = meta.colors.highlight; ctx.lineWidth = 3 / scale; ctx.strokeStyle = '#ffffff';
    // Labels: the selection's (at least 12 px on screen, drawn last, on top) and its hubs',
    // whatever they cover; then its articles', the most connected first, each that covers
    // no label (400 related titles were a block of text).
    var space = labelSpace(64 / scale), hubLabels = [], articles = [];
    function labelled(j, font) {   // the label of j in the font set (canvas units), and its box
      var t = shortLabel(j), box = textBox(ctx, t, px[j], py[j] + radius(j) + 4);
      box.j = j; box.t = t; box.font = font;
      return box;
    }
    function sized(size, bold) { return ctx.font = (bold ? 'bold ' : '') + size + 'px system-ui, sans-serif'; }
    function draw(label) { if (ctx.font !== label.font) ctx.font = label.font; nodeLabel(ctx, label.j, label.t, radius(label.j)); }
    // a hub at its own size (over its label in the scene, not a smaller copy); one too small
    // to be labelled in the scene stays unlabelled (on the overview, a topic's 300 providers
    // at 12 px each were a block of text over the topic itself)
    var ownSize = function (j) { return visNodes[j].f ? hubLabelSize(j, scale) : 0; };
    var top = labelled(selected, sized(Math.max(ownSize(selected), 12 / scale), true));
    space.take(top, true);
    highlighted.forEach(function (j) {
      if (j === selected) return;
      if (info[j].k === 'article') {
        // in view only (a topic's 3,000 articles measured took a frame 20 ms more): a title is
        // at most labelMax characters of at most an em each, and hangs below its node
        var reach = meta.labelMax * ARTICLE_FONT / 2;
        if (scale >= LABEL_SCALE && px[j] > a.x - reach && px[j] < b.x + reach && py[j] > a.y - 2 * reach &&
            py[j] < b.y) articles.push(j);
        return;
      }
      if (ownSize(j) * scale < 6) return;
      var label = labelled(j, sized(ownSize(j)));
      space.take(label, true);
      hubLabels.push(label);
    });
    hubLabels.forEach(draw);
    var articleFont = sized(ARTICLE_FONT);   // once for them all: setting a font costs more than drawing
    articles.sort(heavierFirst).forEach(function (j) {
      var label = labelled(j, articleFont);
      if (space.take(label)) nodeLabel(ctx, j, label.t);
    });
    draw(top);
    ctx.restore();
  });

  // The canvas the details leave uncovered: in a window under about 960 px they cover its
  // middle, where a node searched for was centred, unseen; on a phone they lie across its
  // lower part. Its size, and how far from the canvas's middle the middle of what is left
  // lies (vis-network's offset, in pixels): the larger of the part left of the details and
  // the part above them.
  // `all`: for a view of many nodes, any of which the details could cover; else for one
  // node, in the middle.
  function uncovered(all) {
    var panel = $('ng-details'), w = container.clientWidth, h = container.clientHeight;
    var whole = { width: w, height: h, x: 0, y: 0 };
    if (panel.hidden) return whole;
    var c = container.getBoundingClientRect(), d = panel.getBoundingClientRect();
    var left = d.left - c.left, above = d.top - c.top;
    if (!all && (left >= w / 2 + 40 || above >= h / 2 + 40)) return whole;   // its middle is clear already
    left = Math.max(left, 40); above = Math.max(above, 40);
    if (left * h >= w * above) return { width: left, height: h, x: left / 2 - w / 2, y: 0 };
    return { width: w, height: above, x: 0, y: above / 2 - h / 2 };
  }

  var announced = -1;
  function select(i, focus) {
    selected = i;
    showRelated(i);
    showDetails(i);
    // the details are not a live region (each filter change read all of them out again):
    // a new selection is said in one line
    if (i >= 0 && i !== announced) $('ng-announce').textContent = 'selected: ' + $('ng-d-kind').textContent + ', ' + shown(info[i].l);
    announced = i;
    // setSelection asks vis-network for one redraw on the next frame (unselectAll and
    // redraw() would each draw the whole graph at once: two frames' work per click)
    if (i < 0) {
      highlighted = [];
      network.setSelection({ nodes: [] }, { unselectAll: true });
      updateStats();
      return;
    }
    addToNetwork([i]);
    var near = new Set();
    nbrs[i].forEach(function (j) { if (visible[j]) near.add(j); });
    relatedOf(i, function (r) {
      var j = relSrc[r] === i ? relDst[r] : relSrc[r];
      if (visible[j]) near.add(j);
    });
    near.delete(i);
    highlighted = Array.from(near).concat([i]);  // the selection last: drawn on top
    // vis-network selects the node alone; the neighbourhood is drawn by afterDrawing
    // (selecting thousands of neighbours of a hub in vis-network costs a frame or more)
    network.setSelection({ nodes: [visNodes[i].id] }, { unselectAll: true, highlightEdges: false });
    var offset = focus ? uncovered() : null;
    if (focus && info[i].k !== 'article' && highlighted.length > 1) {
      // a provider or topic: its articles in view (zoomed to the hub alone, they were off screen)
      fitNodes(highlighted, LABEL_SCALE * 4);
    } else if (focus && info[i].k === 'article') {
      // an article with its provider and topics in view (focused alone, they were off screen),
      // zoomed in no further than it was, or to where titles show
      var own = [i];
      nbrs[i].forEach(function (j) { if (visible[j]) own.push(j); });
      fitNodes(own, Math.max(network.getScale(), LABEL_SCALE * 1.25));
    } else if (focus) {
      network.focus(visNodes[i].id, { scale: Math.max(network.getScale(), LABEL_SCALE * 1.25),
                                      offset: { x: offset.x, y: offset.y }, animation: false });
    }
    updateStats();
  }

  // A touch, not a mouse or a key: the keyboard is not put back in the search box (a phone
  // opened its on-screen keyboard over half the page), and no tooltip stays (no blurNode comes).
  function byTouch(ev) { return !!ev && ev.pointerType === 'touch'; }
  network.on('click', function (p) {
    var cleared = !p.nodes.length && selected >= 0;
    select(p.nodes.length ? indexOf.get(p.nodes[0]) : -1);
    if (byTouch(p.event)) tip.hidden = true;
    else if (cleared) focusBox();   // the empty canvas clears the selection, as Escape and the x do
    clickDone();
  });
  $('ng-close').addEventListener('click', function (ev) { select(-1); if (!byTouch(ev)) focusBox(); });

  // ---- statistics line ----
  function updateStats() {
    var shownNodes = 0, drawn = 0;
    for (var i = 0; i < n; i++) shownNodes += visible[i];
    for (i = 0; i < edgeCount; i++) drawn += visible[eFrom[i]] & visible[eTo[i]];
    var text = fmt(shownNodes) + ' of ' + counted(n, 'node') + ' · ' + counted(drawn + shownRelated.length, 'edge') + ' drawn';
    if (relTotal) {
      text += ' · ' + counted(relTotal - shownRelated.length, 'related edge') + ' hidden';
      // edges, as the count before: one each way between two articles that list each other,
      // where the details count articles (226 edges of 113 articles read as a contradiction)
      var others = new Set();
      shownRelated.forEach(function (r) { others.add(relSrc[r] === selected ? relDst[r] : relSrc[r]); });
      // "0 shown: the selected article's, to and from 0 articles" said none in many words
      text += selected >= 0 && isArticle(selected)
        ? (shownRelated.length ? ' (' + fmt(shownRelated.length) + ' shown: the selected article\u2019s, to and from ' +
                                 counted(others.size, 'article') + ')'
                               : ' (none drawn to or from the selected article)')
        : ' (select an article to show its own)';
    }
    var from = $('ng-from').value, to = $('ng-to').value;
    if (from && to && from > to) text = 'the \u201cfrom\u201d date is after the \u201cto\u201d date · ' + text;
    if ($('ng-stats').textContent !== text) $('ng-stats').textContent = text;   // a live region: said when it changes
    stats.nodesShown = shownNodes; stats.edgesDrawn = drawn + shownRelated.length;
    stats.relatedShown = shownRelated.length; stats.relatedHidden = relTotal - shownRelated.length;
  }
  var stats = { nodesTotal: n, edgesTotal: edgeCount + relTotal, relatedTotal: relTotal };

  // ---- search ----
  // Text as typed and text as published differ in ways a reader does not see: curly and
  // straight quotes, no-break and double spaces, soft hyphens, ligatures, accents (Pokémon,
  // pokemon: the combining marks of Latin, Greek and Cyrillic letters only, which other
  // scripts' vowel signs are not). Both sides are folded.
  function fold(text) {
    return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').normalize('NFKC')
      .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, '')
      .replace(/[\u2018\u2019\u201a\u201b\u2032\u02bc]/g, "'")
      .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
      .replace(/[\u2010-\u2015\u2212]/g, '-')
      .replace(/\s+/g, ' ').trim();
  }
  var labels = null, haystack = null, excerpts = null;   // folded at the first search, not before the first frame
  function ensureHaystack() {
    if (haystack) return;
    labels = info.map(function (d) { return fold(d.l); });
    haystack = info.map(function (d, i) {
      return labels[i] + ' \u0001 ' + fold((d.pn || '') + ' \u0001 ' + (d.tl || []).join(' ') + ' \u0001 ' + (d.x || ''));
    });
    excerpts = info.map(function (d) { return d.e ? fold(d.e) : ''; });
  }
  var kindRank = { topic: 0, provider: 1, article: 2 };
  // Whether q starts a word of text: "ai" finds "New AI model" before "Chairman
  // says" (both hold it; the one where it is a word is what was meant)
  var WORD_CHAR;
  try { WORD_CHAR = new RegExp('[\\p{L}\\p{M}\\p{N}]', 'u'); }   // a letter, its mark (Devanagari vowel signs), a digit
  catch (e) { WORD_CHAR = /[0-9A-Za-z\u00aa\u00b2\u00b3\u00b5\u00b9\u00ba\u00bc-\u00be\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u03ff\u0400-\u052f\u0590-\u05ff\u0600-\u06ff\u0900-\u0dff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/; }   // a browser without \p{}
  // How `q` sits in the label `text` (it does): 1 a whole word opening it, 2 a whole word
  // later, 3 the start of its first word, 4 the start of a later word, 5 inside a word.
  // 'ai' finds "AI chips", "New AI model", "Aiming high", "The aim", "Chairman" in that order
  // (a word's start alone put "AirHop" before every title about AI).
  function placeIn(text, q) {
    var best = 5;
    for (var k = text.indexOf(q); k >= 0 && best > 1; k = text.indexOf(q, k + 1)) {
      if (k > 0 && WORD_CHAR.test(text.charAt(k - 1))) continue;
      var end = k + q.length, whole = end === text.length || !WORD_CHAR.test(text.charAt(end));
      best = Math.min(best, (whole ? 1 : 3) + (k > 0 ? 1 : 0));
    }
    return best;
  }
  function search(query, limit) {
    var q = fold(query);
    hiddenHits = 0;
    if (!q) return [];
    ensureHaystack();
    var words = q.split(' '), hits = [];
    var hasAll = function (text) { return words.every(function (w) { return text.indexOf(w) >= 0; }); };
    for (var i = 0; i < n; i++) {
      var text = haystack[i], label = labels[i], rank;
      if (text.indexOf(q) >= 0) {   // the words as typed, together
        rank = label === q ? 0 : label.indexOf(q) >= 0 ? placeIn(label, q) : 6;
      } else if (words.length > 1 && hasAll(text)) {
        rank = 7;   // every word, in any order and place
      } else if (excerpts[i] && (excerpts[i].indexOf(q) >= 0 || hasAll(text + ' ' + excerpts[i]))) {
        rank = 8;   // in the excerpt: after every match of titles and names
      } else continue;
      if (!visible[i]) { hiddenHits++; continue; }   // said, not listed: the filters hide it
      hits.push([rank, kindRank[info[i].k], -info[i].w, i]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]; });
    found = hits.length;
    return hits.slice(0, limit || 12).map(function (h) { return h[3]; });
  }
  var box = $('ng-search'), list = $('ng-results'), results = [], active = -1, found = 0, hiddenHits = 0;
  var resultByTouch = false;
  var nothingFound = false;   // a search that matched nothing at all: said, not left blank
  function renderResults() {
    list.textContent = '';
    results.forEach(function (i, k) {
      var li = document.createElement('li');
      li.id = 'ng-r' + k; li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', k === active ? 'true' : 'false');
      var kind = document.createElement('span');
      var d = info[i];
      kind.className = 'ng-kind'; kind.textContent = d.s ? 'stub' : d.v ? 'video' : d.k;
      li.appendChild(kind);
      li.appendChild(document.createTextNode(shown(d.l)));
      // where and when: articles of the same title (syndicated, updated) told apart
      var where = d.k === 'article' ? [d.pn, d.d].filter(Boolean).join(', ') : d.x;
      if (where) {
        var span = document.createElement('span');
        span.className = 'ng-where';
        if (d.k === 'article' && d.pn) {
          // the provider in a <bdi>: beside a right-to-left name the date was reordered into
          // its parts ("22-10-2019 ,<name>"), as the tooltip's was
          var name = document.createElement('bdi');
          name.textContent = shown(d.pn);
          span.appendChild(name);
          if (d.d) span.appendChild(document.createTextNode(', ' + d.d));
        } else {
          span.textContent = shown(where);
        }
        li.appendChild(span);
      }
      // one name, read out whole ("TOPICAzure azure" ran together)
      li.setAttribute('aria-label', kind.textContent + ': ' + shown(d.l) + (where ? ', ' + shown(where) : ''));
      li.addEventListener('pointerdown', function (ev) { resultByTouch = byTouch(ev); });
      li.addEventListener('mousedown', function (ev) {
        ev.preventDefault(); choose(k);
        if (resultByTouch) box.blur();   // a tap: no on-screen keyboard left over the details
      });
      list.appendChild(li);
    });
    var notes = [];   // lines saying there are more, not options
    if (results.length && found > results.length) notes.push(fmt(found - results.length) + ' more: add a word to narrow the search');
    if (hiddenHits) notes.push(fmt(hiddenHits) + (hiddenHits === 1 ? ' match is' : ' matches are') + ' hidden by the filters');
    if (nothingFound) notes.push(pageHasArticles || !n ? 'no matches' : 'no matches: this page draws providers and topics only');
    notes.forEach(function (note) {
      var more = document.createElement('li');
      more.className = 'ng-more'; more.setAttribute('role', 'presentation');
      more.textContent = note;
      more.addEventListener('mousedown', function (ev) { ev.preventDefault(); });
      list.appendChild(more);
    });
    list.hidden = results.length === 0 && !notes.length;
    box.setAttribute('aria-expanded', list.hidden ? 'false' : 'true');
    // said to a screen reader too: the list itself is not read out as it changes
    var said = list.hidden ? '' : results.length ? counted(found, 'result') + (notes.length ? '; ' + notes.join('; ') : '')
      : notes.join('; ');
    if (said !== $('ng-announce').textContent) $('ng-announce').textContent = said;
    if (active >= 0) box.setAttribute('aria-activedescendant', 'ng-r' + active);
    else box.removeAttribute('aria-activedescendant');
  }
  function choose(k) {
    var i = results[k < 0 ? 0 : k];
    if (i === undefined) return;
    results = []; active = -1; hiddenHits = 0; nothingFound = false; renderResults();
    select(i, true);
  }
  function searchBox() {
    results = search(box.value); active = -1;
    nothingFound = !results.length && !hiddenHits && fold(box.value) !== '';
    renderResults();
  }
  box.addEventListener('input', searchBox);
  box.addEventListener('keydown', function (ev) {
    // closed by Escape: an arrow opens the list again, as a combobox's does
    if ((ev.key === 'ArrowDown' || ev.key === 'ArrowUp') && list.hidden && box.value.trim()) searchBox();
    if (ev.key === 'ArrowDown' && results.length) { active = (active + 1) % results.length; renderResults(); ev.preventDefault(); }
    else if (ev.key === 'ArrowUp' && results.length) { active = (active - 1 + results.length) % results.length; renderResults(); ev.preventDefault(); }
    else if (ev.key === 'Enter') {
      if (!results.length) searchBox();
      choose(active); ev.preventDefault();
    }
    else if (ev.key === 'Escape') {
      // a search box's own Escape would empty it: the words stay, to come back to
      ev.preventDefault();
      if (!list.hidden) {   // the list, even one of notes only
        results = []; active = -1; hiddenHits = 0; nothingFound = false; renderResults(); ev.stopPropagation();
      }
    }
  });
  box.addEventListener('blur', function () {   // the list closed: the box says so too
    list.hidden = true;
    box.setAttribute('aria-expanded', 'false');
    box.removeAttribute('aria-activedescendant');
  });
  box.addEventListener('focus', function () {   // back in the box: its results again
    if (!quietFocus && box.value.trim()) searchBox();
  });
  // The keyboard put back in the box after closing the details: not its results again
  // (Escape reopened the list of the search just chosen from, over the graph)
  var quietFocus = false;
  function focusBox() {
    quietFocus = true;   // focus() fires the focus event at once, or not at all if already there
    try { box.focus(); } finally { quietFocus = false; }
  }
  document.addEventListener('keydown', function (ev) {
    // not while typing: a date field, say, needs its '/'
    var at = ev.target, tag = at && at.tagName;
    if (ev.key === 'Escape' && selected >= 0) {
      // Escape closes the details (the search box's handler closes its open results first)
      var inControl = tag === 'SELECT' || (tag === 'INPUT' && at !== box);
      select(-1);
      if (!inControl) focusBox();   // the keyboard in the search box, as the x leaves it (a filter keeps its own)
      return;
    }
    var typing = tag === 'SELECT' || tag === 'TEXTAREA' || (at && at.isContentEditable) ||
      (tag === 'INPUT' && !/^(checkbox|radio|button|submit|reset|range|color|file|image)$/.test(at.type));
    if (typing) return;
    if (ev.key === '/' && !ev.ctrlKey && !ev.metaKey && !ev.altKey) { box.focus(); ev.preventDefault(); }
  });

  // ---- filter controls ----
  function addOptions(select, ids, text) {
    ids.forEach(function (i) {
      var o = document.createElement('option');
      o.value = visNodes[i].id; o.textContent = shown(text(i));
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
  var optionText = function (i) { return info[i].l + ' (' + articleCount(i) + ')'; };
  // providers that share a name (PR Newswire of .com and .co.uk) told apart by their domains
  var named = new Map();
  providerIdx.forEach(function (i) { var k = info[i].l.toLowerCase(); named.set(k, (named.get(k) || 0) + 1); });
  var providerText = function (i) {
    var d = info[i], shared = named.get(d.l.toLowerCase()) > 1 && d.x;
    return d.l + (shared ? ' \u2014 ' + d.x : '') + ' (' + articleCount(i) + ')';
  };
  addOptions($('ng-topic'), topicIdx, optionText);
  addOptions($('ng-provider'), providerIdx, providerText);
  if (dates.length) {
    dates.sort();
    ['ng-from', 'ng-to'].forEach(function (id) { $(id).min = dates[0]; $(id).max = dates[dates.length - 1]; });
  }
  ['ng-kind-article', 'ng-kind-stub', 'ng-kind-provider', 'ng-kind-topic', 'ng-topic', 'ng-provider', 'ng-from', 'ng-to']
    .forEach(function (id) { $(id).addEventListener('change', applyFilters); });
  if (!pageHasArticles) {
    // a page of hubs only (the overview): the article controls would only empty it
    $('ng-topic').closest('section').hidden = true;
    ['ng-kind-article', 'ng-kind-stub'].forEach(function (id) { $(id).closest('label').hidden = true; });
  }
  // No control for what the page does not have (a provider's page at depth 1 draws no topic):
  // it would do nothing.
  function hideControl(id) { var c = $(id); c.hidden = true; c.labels.forEach(function (l) { l.hidden = true; }); }
  if (!topicIdx.length) hideControl('ng-topic');
  if (!providerIdx.length) hideControl('ng-provider');
  // nor a menu whose one choice is the page's own centre ("Security (61)" on Security's page)
  if (topicIdx.length === 1 && topicIdx[0] === meta.centre) hideControl('ng-topic');
  if (providerIdx.length === 1 && providerIdx[0] === meta.centre) hideControl('ng-provider');
  if (!dates.length) { hideControl('ng-from'); hideControl('ng-to'); }   // no article has a date: they could only empty the page
  var hasKind = { article: articleKinds.article, stub: articleKinds.stub, provider: !!providerIdx.length,
                  topic: !!topicIdx.length };
  Object.keys(hasKind).forEach(function (k) { if (!hasKind[k]) $('ng-kind-' + k).closest('label').hidden = true; });
  $('ng-reset').addEventListener('click', function () {
    ['ng-kind-article', 'ng-kind-stub', 'ng-kind-provider', 'ng-kind-topic'].forEach(function (id) { $(id).checked = true; });
    ['ng-topic', 'ng-provider', 'ng-from', 'ng-to'].forEach(function (id) { $(id).value = ''; });
    applyFilters();
  });
  var physicsOn = false, springs = false;
  $('ng-physics').addEventListener('change', function () {
    physicsOn = $('ng-physics').checked;
    if (physicsOn && !springs) {
      // The page draws its own edges, so vis-network has none: without them the simulation only
      // pushed the nodes apart. Hidden edges are not drawn but pull in the simulation.
      springs = true;
      var list = new Array(edgeCount);
      for (var k = 0; k < edgeCount; k++) list[k] = { from: visNodes[eFrom[k]].id, to: visNodes[eTo[k]].id, hidden: true };
      network.body.data.edges.add(list);
    }
    invalidate();   // the picture follows the positions the simulation left
    requestRedraw();
    network.setOptions({ physics: { enabled: $('ng-physics').checked, solver: 'forceAtlas2Based', stabilization: false } });
  });
  $('ng-fit').addEventListener('click', fitAll);

  // ---- legend (shapes drawn as SVG from fixed values, no input strings) ----
  var SVG = 'http://www.w3.org/2000/svg';
  function legendRow(shape, fill, stroke, text, dash) {
    var row = document.createElement('div'); row.className = 'ng-row';
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', '18'); svg.setAttribute('height', '18'); svg.setAttribute('aria-hidden', 'true');   // the text says it
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
    if (hasKind.stub) legendRow('dot', '#ffffff', c.rings[1], 'stub: known only from related lists');
  }
  if (meta.kinds.provider) legendRow('square', c.provider, c.provider, 'provider (size: articles)');
  if (meta.kinds.topic) legendRow('star', c.topic, c.topic, 'topic (size: articles)');
  // the edges' own colour is nearly transparent (thousands overlap): the legend shows it opaque
  var opaqueEdge = c.edge.replace(/^rgba\((\d+),\s*(\d+),\s*(\d+),[^)]*\)$/, 'rgb($1,$2,$3)');
  if (edgeCount) legendRow('line', 'none', opaqueEdge, meta.view === 'overview' ? 'provider–topic, width: articles' : 'published by / about');
  if (relTotal) legendRow('line', 'none', c.related, 'related (shown for the selected article)');

  // ---- hover tooltip (text only) ----
  // Hidden when the view moves under a still pointer (search, Fit, the wheel): vis-network
  // sends no blurNode then, and the tip stayed, naming a node no longer under it.
  var tip = $('ng-tip'), tipView = null, hovered = -1, tipDragging = false;
  // The last pointer's kind: after a tap the browser makes mouse events of it, which
  // hovered the node once the click had hidden the tip, and no blur ever came (a phone
  // kept the tooltip on screen). A touch shows no tooltip: the tap shows the details.
  var touching = false;
  container.addEventListener('pointerdown', function (ev) { touching = ev.pointerType === 'touch'; }, true);
  function viewKey() { var at = network.getViewPosition(); return [network.getScale(), at.x, at.y].join(' '); }
  function showTip(j, x, y) {
    var d = info[j], r = container.getBoundingClientRect();
    // title and provider each isolated (FSI ... PDI): beside right-to-left text, the date was
    // reordered into its words ("-10-2019) ... (22")
    tip.textContent = isolated(shown(d.l)) + (d.k === 'article' && d.pn ? ' \u2014 ' + isolated(shown(d.pn)) : '') +
      (d.d ? ' (' + d.d + ')' : '');
    // below and right of the pointer; past the window's right or bottom edge, on the other
    // side (it was squeezed into a column there, mostly off screen), never past the left or top
    tip.style.left = '0px'; tip.style.top = '0px';   // measured at its natural size
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight, left = r.left + x + 12, top = r.top + y + 12;
    if (left + w > window.innerWidth - 4) left = r.left + x - 12 - w;
    if (top + h > window.innerHeight - 4) top = r.top + y - 12 - h;
    tip.style.left = Math.max(4, left) + 'px';
    tip.style.top = Math.max(4, top) + 'px';
    tipView = viewKey();
  }
  network.on('beforeDrawing', function () { if (!tip.hidden && viewKey() !== tipView) tip.hidden = true; });
  network.on('hoverNode', function (p) {
    hovered = indexOf.get(p.node);
    if (!touching) showTip(hovered, p.pointer.DOM.x, p.pointer.DOM.y);
  });
  network.on('blurNode', function () { hovered = -1; tip.hidden = true; });
  network.on('dragStart', function () { tipDragging = true; tip.hidden = true; });
  network.on('dragEnd', function () { tipDragging = false; });
  // After the view moved, vis-network still counts the node hovered and sends no hoverNode
  // while the pointer stays on it: the tip comes back when the pointer moves on that node.
  container.addEventListener('pointermove', function (ev) {
    touching = ev.pointerType === 'touch';
    if (hovered < 0 || !tip.hidden || tipDragging || touching) return;
    var box = container.getBoundingClientRect(), x = ev.clientX - box.left, y = ev.clientY - box.top;
    var at = network.DOMtoCanvas({ x: x, y: y }), b = bodyNodes && bodyNodes[visNodes[hovered].id];
    var nx = b ? b.x : visNodes[hovered].x, ny = b ? b.y : visNodes[hovered].y;
    if (Math.hypot(at.x - nx, at.y - ny) <= visNodes[hovered].r) showTip(hovered, x, y);
  });

  // ---- progressive loading: the nodes reach vis-network in slices after the first frame ----
  // Input is answered between slices. A click or hover on a node that has not arrived yet
  // adds the nodes under the pointer at once, before vis-network looks for them.
  var SLICE = 500, nextSlice = 0, pending = n - nodes.length;
  function addToNetwork(list) {
    var add = [];
    list.forEach(function (j) {
      if (!inNetwork[j]) { inNetwork[j] = 1; bare[j].hidden = !visible[j]; add.push(bare[j]); }
    });
    if (!add.length) return;
    nodes.add(add);
    pending -= add.length;
    if (!pending) { api.complete = true; timing.complete = performance.now(); }
  }
  function addSlice() {
    if (window.newsgraphHoldLoading) { setTimeout(addSlice, 20); return; }   // tests: hold the slices back
    var list = [];
    for (; nextSlice < n && list.length < SLICE; nextSlice++) if (!inNetwork[nextSlice]) list.push(nextSlice);
    addToNetwork(list);
    if (pending) setTimeout(addSlice, 0);
  }
  function addUnderPointer(ev) {
    if (!pending) return;
    var box = container.getBoundingClientRect();
    var at = network.DOMtoCanvas({ x: ev.clientX - box.left, y: ev.clientY - box.top }), list = [];
    for (var j = nextSlice; j < n; j++) {
      var r = visNodes[j].r + 1;
      if (!inNetwork[j] && Math.abs(px[j] - at.x) <= r && Math.abs(py[j] - at.y) <= r) list.push(j);
    }
    addToNetwork(list);
  }
  container.addEventListener('pointerdown', addUnderPointer, true);
  container.addEventListener('pointermove', addUnderPointer, true);

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
    label: function (id) { return shortLabel(indexOf.get(id)); },
    hubLabelOrder: function () { return hubs.map(function (j) { return visNodes[j].id; }); },
    visibleIds: function () { return visNodes.filter(function (v, i) { return visible[i]; }).map(function (v) { return v.id; }); },
    drawnEdges: function () {
      ensureRelated();
      var out = [];
      for (var k = 0; k < edgeCount; k++) {
        if (visible[eFrom[k]] && visible[eTo[k]]) out.push([visNodes[eFrom[k]].id, visNodes[eTo[k]].id, visEdges.kinds[visEdges.kind[k]]]);
      }
      shownRelated.forEach(function (r) { out.push([visNodes[relSrc[r]].id, visNodes[relDst[r]].id, 'related']); });
      return out;
    },
    domPosition: function (id) {   // also for nodes not yet handed to vis-network
      var b = bodyNodes[id], j = indexOf.get(id);
      return network.canvasToDOM(b ? { x: b.x, y: b.y } : { x: visNodes[j].x, y: visNodes[j].y });
    },
    complete: !pending, edgesDrawn: false,
    applyFilters: applyFilters, ready: false, readyMs: null, timing: timing
  };
  updateStats();
  // a centred page (newsgraph html --topic ...) opens on its centre: what the page is about
  if (meta.centre !== undefined) select(meta.centre);
  // in a narrow window the centre's details cover the middle of the canvas: the page is fitted
  // into the part they leave uncovered (moving the centre there left some of its neighbours under them)
  fitAll();
  network.once('afterDrawing', function () {
    setTimeout(ensureRelated, 0);
    if (pending) setTimeout(addSlice, 0);
    api.ready = true;
    api.readyMs = timing.drawn = performance.now();
    document.documentElement.setAttribute('data-ready', 'true');
  });
})();
