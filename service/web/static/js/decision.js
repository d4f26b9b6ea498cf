/*
 * relief console: the case page's decision form (form#decision), no inline script.
 *
 * - A reject or a return needs a reason: choosing either makes the comment required, so the
 *   browser asks for it before sending (the server refuses an empty one too).
 * - A reject asks for confirmation: choosing a choice with data-confirm-text (the reject,
 *   named as the task calls it) sets the form's data-confirm to that text, so console.js asks
 *   window.confirm() on submit; another choice removes it.
 *
 * Without this file the form still works: the server refuses a reject or return without a
 * reason and shows why.
 */
(function () {
  'use strict';

  var NEEDS_REASON = ['reject', 'return'];

  function sync(form) {
    var chosen = form.querySelector('input[name="decision"]:checked');
    var value = chosen ? chosen.value : '';
    var comment = form.querySelector('#comment');
    if (comment) {
      comment.required = NEEDS_REASON.indexOf(value) !== -1;
      if (comment.required) {
        comment.setAttribute('aria-required', 'true');
      } else {
        comment.removeAttribute('aria-required');
      }
    }
    var question = chosen ? chosen.getAttribute('data-confirm-text') : null;
    if (question) {
      form.setAttribute('data-confirm', question);
    } else {
      form.removeAttribute('data-confirm');
    }
  }

  function start() {
    var form = document.getElementById('decision');
    if (!form) {
      return;
    }
    form.addEventListener('change', function (event) {
      if (event.target instanceof HTMLInputElement && event.target.name === 'decision') {
        sync(form);
      }
    });
    sync(form);  // a choice the browser restored (back button) counts too
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
