// The HTML report's script (included in every page): sorting tables by a click on a header,
// filtering by category (tables, legends and both charts). The page is complete without it.
(function () {
  function each(list, f) { Array.prototype.forEach.call(list, f); }
  function key(cell) {
    var v = cell.getAttribute('data-sort');
    if (v === null) { v = cell.textContent.trim(); }
    var n = Number(v.replace(/,/g, '').replace(/%$/, ''));
    return v !== '' && !isNaN(n) ? [0, n] : [1, v.toLowerCase()];
  }
  function cmp(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  }
  each(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.querySelectorAll('thead th');
    each(heads, function (th, col) {
      th.tabIndex = 0;
      th.title = 'Sort by this column';
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var now = th.getAttribute('aria-sort');
        // A second click turns the order round; the first sorts text A to Z and counts
        // largest first, as people look for them.
        var dir = now ? (now === 'ascending' ? -1 : 1) : (th.classList.contains('num') ? -1 : 1);
        each(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        rows.sort(function (a, b) { return cmp(key(a.cells[col]), key(b.cells[col])) * dir; });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
      });
    });
  });
  // The bar chart without the hidden categories' rows: the rows below move up.
  function closeBars() {
    var chart = document.querySelector('svg.bars');
    if (!chart) { return; }
    var row = Number(chart.getAttribute('data-row'));
    var shown = 0;
    each(chart.querySelectorAll('g.series'), function (g, i) {
      g.setAttribute('transform', 'translate(0,' + (shown - i) * row + ')');
      if (!g.classList.contains('off')) { shown += 1; }
    });
    var box = chart.getAttribute('viewBox').split(' ');
    box[3] = String(shown * row + Number(chart.getAttribute('data-gap')));
    chart.setAttribute('viewBox', box.join(' '));
  }
  // The timeline restacked from the shown segments, scaled to the tallest shown bucket.
  function restack() {
    var chart = document.querySelector('svg.timeline');
    if (!chart) { return; }
    var bottom = Number(chart.getAttribute('data-bottom'));
    var height = Number(chart.getAttribute('data-plot'));
    var buckets = chart.querySelectorAll('g.bucket');
    function shown(g) {
      return Array.prototype.filter.call(g.querySelectorAll('rect.segment'), function (r) {
        return !r.classList.contains('off');
      });
    }
    var max = 1;
    each(buckets, function (g) {
      var total = 0;
      shown(g).forEach(function (r) { total += Number(r.getAttribute('data-hits')); });
      max = Math.max(max, total);
    });
    var scale = height / max;
    each(buckets, function (g) {
      var below = 0;
      shown(g).forEach(function (r) {
        var hits = Number(r.getAttribute('data-hits'));
        below += hits;
        r.setAttribute('y', (bottom - below * scale).toFixed(2));
        r.setAttribute('height', Math.max(hits * scale, 0.5).toFixed(2));
      });
    });
    var tick = chart.querySelector('text.max');
    if (tick) { tick.textContent = max.toLocaleString('en-US'); }
  }
  var bar = document.getElementById('filter');
  if (!bar) { return; }
  bar.hidden = false;
  var buttons = bar.querySelectorAll('button');
  // `all`: every category, whatever the buttons say (paper shows everything, as the filter
  // bar is not printed).
  function apply(all) {
    var on = {};
    each(buttons, function (b) {
      on[b.getAttribute('data-category')] = all === true || b.getAttribute('aria-pressed') === 'true';
    });
    each(document.querySelectorAll('.f[data-category]'), function (el) {
      var c = el.getAttribute('data-category');
      el.classList.toggle('off', on.hasOwnProperty(c) && !on[c]);
    });
    closeBars();
    restack();
  }
  window.addEventListener('beforeprint', function () { apply(true); });
  window.addEventListener('afterprint', function () { apply(); });
  each(buttons, function (b) {
    b.addEventListener('click', function () {
      b.setAttribute('aria-pressed', b.getAttribute('aria-pressed') === 'true' ? 'false' : 'true');
      apply();
    });
  });
})();
