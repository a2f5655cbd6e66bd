/* The admin sidebar: a drawer on phones (toggle button, backdrop, Escape) and collapsible groups whose open state
   is remembered for the browser session. No inline scripts: the page's Content-Security-Policy allows only ours. */
(function () {
  'use strict';
  var STORE = 'scrm.nav.open';

  function openGroups() {
    try { return JSON.parse(window.sessionStorage.getItem(STORE) || '[]'); } catch (e) { return []; }
  }

  function saveGroups(sidebar) {
    var keys = Array.prototype.map.call(sidebar.querySelectorAll('details.nav-group[open]'),
      function (d) { return d.getAttribute('data-group'); });
    try { window.sessionStorage.setItem(STORE, JSON.stringify(keys)); } catch (e) { /* storage off: not kept */ }
  }

  function init() {
    var sidebar = document.getElementById('sidebar');
    var toggle = document.querySelector('.nav-toggle');
    var backdrop = document.querySelector('.nav-backdrop');
    if (!sidebar) return;

    openGroups().forEach(function (key) {
      var group = sidebar.querySelector('details.nav-group[data-group="' + key + '"]');
      if (group) group.open = true;
    });
    sidebar.addEventListener('toggle', function () { saveGroups(sidebar); }, true);
    var current = sidebar.querySelector('[aria-current="page"]');
    if (current && current.scrollIntoView) current.scrollIntoView({block: 'nearest'});

    if (!toggle) return;
    function setOpen(open) {
      document.body.classList.toggle('nav-open', open);
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (backdrop) backdrop.hidden = !open;
      if (open) {
        var first = sidebar.querySelector('[aria-current="page"]') || sidebar.querySelector('a, summary');
        if (first) first.focus();
      }
    }
    toggle.addEventListener('click', function () {
      setOpen(!document.body.classList.contains('nav-open'));
    });
    if (backdrop) backdrop.addEventListener('click', function () { setOpen(false); });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && document.body.classList.contains('nav-open')) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
