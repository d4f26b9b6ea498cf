/*
 * relief console: draws a case's BPMN chain with the vendored bpmn-js navigated viewer.
 *
 * Markup (no inline script or style; CSP script-src 'self'; style-src 'self'):
 *
 *   <div class="diagram" role="img" aria-label="…"
 *        data-bpmn-url="/console/flows/12/diagram.bpmn"
 *        data-done="start review_village" data-open="review_township" data-error=""
 *        data-failed-text="The diagram could not be drawn.">…fallback text…</div>
 *
 * Instead of data-bpmn-url, data-bpmn-source="<element id>" names an element on the page
 * whose value (a hidden <textarea readonly>, escaped by the template) holds the XML: a
 * refused flow upload, which is stored nowhere, is drawn that way.
 *
 * The XML is fetched from data-bpmn-url (same origin, with cookies), imported and fitted to
 * the container; the space-separated element ids in data-done / data-open / data-error (and
 * a version diff's data-added / data-removed / data-changed) get the marker classes
 * relief-done / relief-open / relief-error (relief-added / relief-removed / relief-changed;
 * ids not in the diagram are ignored). When finished the container carries data-ready="true"; if anything fails it
 * carries data-failed="<message>" and shows a visible message instead (nothing is thrown,
 * nothing is written to the console). Containers that arrive by an htmx swap are drawn too;
 * each container is drawn once.
 *
 * The view: the diagram is fitted to the container's width (an office screen shows all of
 * it). Where that would draw it smaller than SMALLEST (a phone), it is drawn at READABLE
 * instead, labels legible, and the rest is panned sideways: drag with the mouse, swipe with
 * a finger. The container's height follows the diagram's at that zoom (at least MIN_HEIGHT). Zoom in / zoom out / reset buttons are put into
 * the container's top-right corner from <template id="diagram-controls"> (rendered in the
 * page's language by _diagram_head.html; without it, no buttons).
 *
 * bpmn-js puts its bpmn.io watermark (.bjs-powered-by) at the container's bottom-right: its
 * licence requires it to stay visible, so nothing here covers or hides it.
 */
(function () {
  'use strict';

  var MARKERS = [
    ['data-done', 'relief-done'],
    ['data-open', 'relief-open'],
    ['data-error', 'relief-error'],
    // A version diff (/flows/{key}/diff): what one version added, removed or changed.
    ['data-added', 'relief-added'],
    ['data-removed', 'relief-removed'],
    ['data-changed', 'relief-changed']
  ];
  var DEFAULT_FAILED_TEXT = 'The process diagram could not be displayed.';
  var SMALLEST = 0.5;    // bpmn-js draws labels at 11-12 px: below half they are unreadable
  var READABLE = 0.75;   // the zoom used instead, when fitting the width would go below it
  var MAX_SCALE = 1;     // fitting a small diagram does not blow it up
  var MIN_HEIGHT = 280;  // px: room for the zoom buttons and the watermark
  var PADDING = 16;      // px around the diagram
  var TOP = 56;          // px above it: the zoom buttons' row, clear of the drawing
  var ZOOM_STEP = 1.25;
  // Labels larger than bpmn-js's 12 px (11 px outside shapes): a county's flow is wide, and
  // fitted to an office screen it is drawn at about 60%. bpmn-js wraps the text to its
  // shapes at this size, so nothing spills out.
  var TEXT = {
    defaultStyle: { fontSize: 16, lineHeight: 1.2 },
    externalStyle: { fontSize: 15, lineHeight: 1.2 }
  };
  var viewers = new WeakMap(); // container -> viewer, to tidy up when htmx removes it
  var started = new WeakSet(); // containers already drawn (or being drawn)
  // Drawn containers and the width each was fitted to: a phone turned sideways (or a window
  // resized) fits them again, unless the user zoomed in or out by hand (zoomedByHand).
  var fitted = new Set();
  var fittedWidth = new WeakMap();
  var zoomedByHand = new WeakSet();
  var REFIT_MS = 200;

  function ids(container, attribute) {
    return (container.getAttribute(attribute) || '').split(/\s+/).filter(Boolean);
  }

  function addMarkers(viewer, container) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    MARKERS.forEach(function (pair) {
      ids(container, pair[0]).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, pair[1]);
        }
      });
    });
  }

  // The default view: as wide as the container (at most MAX_SCALE), or READABLE where that
  // would be below SMALLEST; the container as tall as the diagram is at that zoom, plus the
  // buttons' row (a height set through the CSSOM is allowed by the CSP; style attributes
  // are not).
  function fit(viewer, container) {
    try {
      var canvas = viewer.get('canvas');
      var inner = canvas.viewbox().inner;
      var width = container.clientWidth;
      fittedWidth.set(container, width);
      if (!inner.width || !inner.height || !width) {
        canvas.zoom('fit-viewport', 'auto');
        return;
      }
      var scale = Math.min(MAX_SCALE, (width - 2 * PADDING) / inner.width);
      if (scale < SMALLEST) {
        scale = READABLE;
      }
      var height = Math.round(inner.height * scale + TOP + PADDING);
      container.style.height = Math.max(MIN_HEIGHT, height) + 'px';
      canvas.resized();
      var box = canvas.viewbox();
      canvas.viewbox({
        x: inner.x - PADDING / scale,
        y: inner.y - Math.max(TOP, (box.outer.height - inner.height * scale) / 2) / scale,
        width: box.outer.width / scale,
        height: box.outer.height / scale
      });
    } catch (ignored) {
      // A container without a size yet (e.g. in a hidden panel): keep the default zoom.
    }
  }

  // Zoom about the centre of what is shown.
  function zoomBy(viewer, factor) {
    var canvas = viewer.get('canvas');
    var box = canvas.viewbox();
    canvas.zoom(canvas.zoom() * factor, {
      x: box.outer.width / 2,
      y: box.outer.height / 2
    });
  }

  function addControls(viewer, container) {
    var template = document.getElementById('diagram-controls');
    if (!template || !template.content) {
      return;
    }
    var controls = template.content.firstElementChild.cloneNode(true);
    controls.addEventListener('click', function (event) {
      var button = event.target instanceof Element ? event.target.closest('[data-zoom]') : null;
      if (!button) {
        return;
      }
      var action = button.getAttribute('data-zoom');
      if (action === 'in') {
        zoomedByHand.add(container);
        zoomBy(viewer, ZOOM_STEP);
      } else if (action === 'out') {
        zoomedByHand.add(container);
        zoomBy(viewer, 1 / ZOOM_STEP);
      } else {
        zoomedByHand.delete(container);
        fit(viewer, container);
      }
    });
    container.appendChild(controls);
  }

  // A finger swiping sideways pans the diagram (the viewer itself follows only the mouse);
  // up and down still scroll the page (touch-action: pan-y in the stylesheet).
  function addTouchPan(viewer, container) {
    var last = null;
    container.addEventListener('pointerdown', function (event) {
      if (event.pointerType === 'touch') {
        last = event.clientX;
      }
    });
    container.addEventListener('pointermove', function (event) {
      if (event.pointerType !== 'touch' || last === null) {
        return;
      }
      viewer.get('canvas').scroll({ dx: event.clientX - last, dy: 0 });
      last = event.clientX;
    });
    ['pointerup', 'pointercancel', 'pointerleave'].forEach(function (type) {
      container.addEventListener(type, function () { last = null; });
    });
  }

  function fail(container, viewer, error) {
    var message = (error && error.message) ? String(error.message) : String(error || 'unknown error');
    if (viewer) {
      try {
        viewer.destroy();
      } catch (ignored) { /* already gone */ }
      viewers.delete(container);
    }
    container.removeAttribute('aria-busy');
    container.setAttribute('data-failed', message);
    container.classList.add('diagram-failed');
    var note = container.querySelector('.diagram-message');
    if (!note) {
      note = document.createElement('p');
      note.className = 'diagram-message';
      note.setAttribute('role', 'alert');
      container.appendChild(note);
    }
    note.textContent = (container.getAttribute('data-failed-text') || DEFAULT_FAILED_TEXT) +
      ' (' + message + ')';
  }

  function removeFallback(container) {
    // Server-rendered placeholder text ("Loading diagram…", a <noscript> hint) goes away
    // once the viewer is drawn.
    Array.prototype.forEach.call(
      container.querySelectorAll('.diagram-loading, .diagram-fallback, noscript'),
      function (node) { node.remove(); }
    );
  }

  // The XML: from the element named by data-bpmn-source (its value, e.g. a hidden
  // <textarea> holding a refused upload that was never stored), else from data-bpmn-url.
  async function source(container) {
    var sourceId = container.getAttribute('data-bpmn-source');
    if (sourceId) {
      var holder = document.getElementById(sourceId);
      if (!holder) {
        throw new Error('no element #' + sourceId);
      }
      return holder.value !== undefined ? String(holder.value) : String(holder.textContent);
    }
    var response = await fetch(container.getAttribute('data-bpmn-url'), {
      credentials: 'same-origin',
      headers: { Accept: 'application/xml, text/xml, */*' }
    });
    if (!response.ok) {
      throw new Error('HTTP ' + response.status);
    }
    return response.text();
  }

  async function draw(container) {
    var viewer = null;
    container.setAttribute('aria-busy', 'true');
    try {
      if (typeof window.BpmnJS !== 'function') {
        throw new Error('bpmn-js is not loaded');
      }
      var xml = await source(container);
      if (!container.isConnected) {
        return; // swapped away while loading
      }
      removeFallback(container);
      viewer = new window.BpmnJS({ container: container, textRenderer: TEXT });
      viewers.set(container, viewer);
      await viewer.importXML(xml);
      fit(viewer, container);
      fitted.add(container);
      addMarkers(viewer, container);
      addControls(viewer, container);
      addTouchPan(viewer, container);
      container.removeAttribute('aria-busy');
      container.setAttribute('data-ready', 'true');
    } catch (error) {
      fail(container, viewer, error);
    }
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var selector = '[data-bpmn-url], [data-bpmn-source]';
    var found = Array.prototype.slice.call(scope.querySelectorAll(selector));
    if (scope.matches && scope.matches(selector)) {
      found.unshift(scope);
    }
    found.forEach(function (container) {
      if (started.has(container) || container.hasAttribute('data-ready') ||
          container.hasAttribute('data-failed')) {
        return;
      }
      started.add(container);
      draw(container); // never rejects: draw() catches everything
    });
  }

  // Fit again every diagram whose container changed width (a phone turned sideways), but
  // not one the user zoomed by hand; containers htmx removed are forgotten here.
  function refitAll() {
    fitted.forEach(function (container) {
      var viewer = viewers.get(container);
      if (!container.isConnected || !viewer) {
        fitted.delete(container);
        return;
      }
      if (!zoomedByHand.has(container) && container.clientWidth !== fittedWidth.get(container)) {
        fit(viewer, container);
      }
    });
  }

  function start() {
    drawAll(document);
    var pending = null;
    window.addEventListener('resize', function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(refitAll, REFIT_MS);
    });
    // New containers from htmx swaps. Scan the document, not just the swap target: for an
    // outerHTML swap the target is the element that was replaced.
    document.body.addEventListener('htmx:afterSwap', function () { drawAll(document); });
    document.body.addEventListener('htmx:oobAfterSwap', function () { drawAll(document); });
    // Free a viewer when htmx removes its container.
    document.body.addEventListener('htmx:beforeCleanupElement', function (event) {
      var container = event.target;
      var viewer = viewers.get(container);
      if (viewer) {
        viewers.delete(container);
        try {
          viewer.destroy();
        } catch (ignored) { /* already gone */ }
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
