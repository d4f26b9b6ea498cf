/*
 * relief console: small progressive enhancements, no framework, no inline script.
 *
 * - Every htmx request to this origin carries the CSRF token from
 *   <meta name="csrf-token" content="…"> in the X-CSRF-Token header.
 *   (htmx itself is configured by <meta name="htmx-config">; nothing to do here.)
 * - <input type="checkbox" data-select-all="case_id"> ticks / unticks every
 *   input[name="case_id"] checkbox in the same form, and shows a mixed state when only some
 *   are ticked.
 * - A form, button or link with data-confirm="Question?" asks window.confirm() first and
 *   does nothing (no submit, no htmx request) when the answer is no.
 *
 * - On narrow screens the top bar's nav folds away behind
 *   <button class="nav-toggle" aria-controls="main-nav" aria-expanded="false">; this file
 *   marks <html class="js"> so the CSS only folds the nav when the button can open it.
 *
 * Everything works without this file: the server still checks CSRF on plain form posts and
 * every action can be confirmed on the page it leads to.
 */
(function () {
  'use strict';

  /* ---- CSRF header on htmx requests -------------------------------------------------- */

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  function sameOrigin(path) {
    try {
      return new URL(path, window.location.href).origin === window.location.origin;
    } catch (ignored) {
      return false;
    }
  }

  document.addEventListener('htmx:configRequest', function (event) {
    var token = csrfToken();
    if (token && sameOrigin(event.detail.path)) {
      event.detail.headers['X-CSRF-Token'] = token;
    }
  });

  /* ---- "select all" checkboxes ------------------------------------------------------- */

  function scopeOf(element) {
    return element.form || element.closest('form') || document;
  }

  function membersOf(selectAll) {
    var name = selectAll.getAttribute('data-select-all');
    var selector = 'input[type="checkbox"][name="' + CSS.escape(name) + '"]';
    return Array.prototype.filter.call(scopeOf(selectAll).querySelectorAll(selector), function (box) {
      return !box.disabled;
    });
  }

  function syncSelectAll(selectAll) {
    var boxes = membersOf(selectAll);
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    selectAll.checked = boxes.length > 0 && ticked === boxes.length;
    selectAll.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  function selectAllsFor(box) {
    var scope = scopeOf(box);
    return Array.prototype.filter.call(
      scope.querySelectorAll('input[type="checkbox"][data-select-all]'),
      function (selectAll) { return selectAll.getAttribute('data-select-all') === box.name; }
    );
  }

  document.addEventListener('change', function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || target.type !== 'checkbox') {
      return;
    }
    if (target.hasAttribute('data-select-all')) {
      target.indeterminate = false;
      // Tick every box first, then tell listeners: a change event while only some are
      // ticked would flip this checkbox back to "mixed".
      var changed = membersOf(target).filter(function (box) {
        return box.checked !== target.checked;
      });
      changed.forEach(function (box) { box.checked = target.checked; });
      changed.forEach(function (box) {
        box.dispatchEvent(new Event('change', { bubbles: true }));
      });
    } else if (target.name) {
      selectAllsFor(target).forEach(syncSelectAll);
    }
  });

  function syncAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(
      scope.querySelectorAll('input[type="checkbox"][data-select-all]'), syncSelectAll
    );
  }

  /* ---- data-confirm ------------------------------------------------------------------ */

  // Clicks on buttons and links are checked first (capture phase, before htmx sees them).
  // A submit button that was confirmed on click is not asked again on the form's submit.
  var confirmedSubmitter = null;

  function ask(element) {
    return window.confirm(element.getAttribute('data-confirm'));
  }

  document.addEventListener('click', function (event) {
    var trigger = event.target instanceof Element
      ? event.target.closest('button[data-confirm], input[type="submit"][data-confirm], input[type="image"][data-confirm], a[data-confirm]')
      : null;
    if (!trigger || trigger.disabled) {
      return;
    }
    if (!ask(trigger)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      confirmedSubmitter = null;
      return;
    }
    confirmedSubmitter = trigger;
    // The submit event, if any, follows this click synchronously; forget it afterwards.
    window.setTimeout(function () {
      if (confirmedSubmitter === trigger) {
        confirmedSubmitter = null;
      }
    }, 0);
  }, true);

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var alreadyAsked = submitter && submitter === confirmedSubmitter;
    confirmedSubmitter = null;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) {
      return;
    }
    if (alreadyAsked) {
      return;
    }
    if (!ask(form)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* ---- narrow-screen nav toggle -------------------------------------------------------- */

  document.documentElement.classList.add('js');

  document.addEventListener('click', function (event) {
    var toggle = event.target instanceof Element ? event.target.closest('.nav-toggle') : null;
    if (!toggle) {
      return;
    }
    var bar = toggle.closest('.topbar');
    var open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (bar) {
      bar.classList.toggle('nav-open', open);
    }
  });

  /* ---- start ------------------------------------------------------------------------- */

  function start() {
    syncAll(document);
    document.body.addEventListener('htmx:afterSwap', function () { syncAll(document); });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
