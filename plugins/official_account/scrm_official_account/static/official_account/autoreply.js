// Auto-reply forms: show only the content panel (text or the material picker) of the chosen reply type.
(function () {
  function sync(form) {
    var checked = form.querySelector('input[data-reply-type]:checked');
    var type = checked ? checked.value : 'text';
    form.querySelectorAll('[data-reply-panel]').forEach(function (panel) {
      panel.hidden = panel.getAttribute('data-reply-panel') !== type;
    });
  }
  document.querySelectorAll('.reply-fields').forEach(function (fields) {
    var form = fields.closest('form');
    fields.querySelectorAll('input[data-reply-type]').forEach(function (input) {
      input.addEventListener('change', function () { sync(form); });
    });
    sync(form);
  });
})();
