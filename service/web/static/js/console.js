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
 *   <button class="nav-toggle" aria-controls="main-nav session-box" aria-expanded="false">;
 *   this file marks <html class="js"> so the CSS only folds the nav (and shows the button)
 *   when the button can open it. Escape closes the open menu and puts focus on the button.
 * - An htmx request that gets no answer the page can show (the connection broke off, e.g.
 *   a file too large for the server; or an answer that is not HTML, e.g. problem JSON from a
 *   proxy) swaps nothing: the form stays as it was, and a message from <body data-msg-*>
 *   (in the page's language) is shown in #flash. The console's own refusals are HTML
 *   fragments the server retargets to #flash; they are swapped as usual.
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

  function setMenu(toggle, open) {
    var bar = toggle.closest('.topbar');
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (bar) {
      bar.classList.toggle('nav-open', open);
    }
  }

  document.addEventListener('click', function (event) {
    var toggle = event.target instanceof Element ? event.target.closest('.nav-toggle') : null;
    if (toggle) {
      setMenu(toggle, toggle.getAttribute('aria-expanded') !== 'true');
    }
  });

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') {
      return;
    }
    var toggle = document.querySelector('.nav-toggle[aria-expanded="true"]');
    if (toggle) {
      setMenu(toggle, false);
      toggle.focus();
    }
  });

  /* ---- htmx answers the page cannot show ------------------------------------------- */

  function message(kind) {
    var text = document.body.getAttribute('data-msg-' + kind);
    return text || document.body.getAttribute('data-msg-failed') || '';
  }

  // #flash sits at the top of the page, often far above the form that was sent (a phone's
  // upload form is screens below it): a message an htmx request put there is pinned to the
  // top of the window until the next request, so it is seen beside the form.
  function pinFlash() {
    var flash = document.getElementById('flash');
    if (flash && flash.textContent.trim()) {
      flash.classList.add('flash-pinned');
    }
  }

  // The message replaces #flash's content, as the server's own refusal fragments do.
  function showFlash(text) {
    var flash = document.getElementById('flash');
    if (!flash || !text) {
      return;
    }
    var note = document.createElement('p');
    note.className = 'flash-error';
    note.setAttribute('role', 'alert');
    note.textContent = text;
    flash.replaceChildren(note);
    pinFlash();
  }

  document.addEventListener('htmx:beforeRequest', function () {
    var flash = document.getElementById('flash');
    if (flash) {
      flash.classList.remove('flash-pinned');
    }
  });

  document.addEventListener('htmx:afterSwap', function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === 'flash') {
      pinFlash(); // a refusal the server retargeted here
    }
  });

  function isHtml(xhr) {
    var type = (xhr.getResponseHeader('Content-Type') || '').toLowerCase();
    return type.indexOf('text/html') === 0;
  }

  function messageFor(xhr) {
    return message(xhr.status === 413 ? 'too-large' : 'failed');
  }

  document.addEventListener('htmx:beforeSwap', function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || isHtml(xhr)) {
      return; // the console's own pages and fragments, refusals included
    }
    var empty = !xhr.responseText;
    if (empty && xhr.status < 400) {
      return; // nothing to swap in anyway (204, a redirect answered by htmx itself)
    }
    event.detail.shouldSwap = false;
    event.detail.isError = false; // handled here: no second message from responseError
    showFlash(messageFor(xhr));
  });

  document.addEventListener('htmx:responseError', function (event) {
    // Only for answers htmx treats as errors and did not swap (see htmx-config in base.html).
    var xhr = event.detail.xhr;
    if (xhr && !isHtml(xhr)) {
      showFlash(messageFor(xhr));
    }
  });

  document.addEventListener('htmx:sendError', function () {
    showFlash(message('offline'));
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
