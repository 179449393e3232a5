// The HTML report's script (included in every page): sorting tables by a click on a header,
// filtering by category. The page is complete without it.
(function () {
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
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.querySelectorAll('thead th');
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      th.title = 'Sort by this column';
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var now = th.getAttribute('aria-sort');
        // A second click turns the order round; the first sorts text A to Z and counts
        // largest first, as people look for them.
        var dir = now ? (now === 'ascending' ? -1 : 1) : (th.classList.contains('num') ? -1 : 1);
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
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
  var bar = document.getElementById('filter');
  if (!bar) { return; }
  bar.hidden = false;
  var buttons = bar.querySelectorAll('button');
  function apply() {
    var on = {};
    Array.prototype.forEach.call(buttons, function (b) {
      on[b.getAttribute('data-category')] = b.getAttribute('aria-pressed') === 'true';
    });
    Array.prototype.forEach.call(document.querySelectorAll('.f[data-category]'), function (el) {
      var c = el.getAttribute('data-category');
      el.classList.toggle('off', on.hasOwnProperty(c) && !on[c]);
    });
  }
  Array.prototype.forEach.call(buttons, function (b) {
    b.addEventListener('click', function () {
      b.setAttribute('aria-pressed', b.getAttribute('aria-pressed') === 'true' ? 'false' : 'true');
      apply();
    });
  });
})();
