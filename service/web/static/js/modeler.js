/*
 * relief console: the flow editor (/flows/{key}/edit, /flows/new) on the vendored bpmn-js
 * Modeler. No inline script or style (CSP script-src 'self'; style-src 'self'): every text a
 * person reads comes from the page (data-text-* attributes and the panel's markup, in the
 * page's language); positions bpmn-js sets through the CSSOM, which the CSP allows.
 *
 * - The palette, the context pad and the replace menu offer only what the service runs:
 *   start and end events, user tasks, exclusive gateways, timers (intermediate, boundary),
 *   pools and lanes, sequence flows (providers registered through additionalModules whose
 *   entries are updater functions filtering bpmn-js's own).
 * - The side panel edits the selected element the way the shipped flows write it
 *   (spiffworkflow:properties, docs/flows.md): a lane's role (its name), a task's names
 *   (name, name.en), decisions (decision.<code> = "中文 | English"), fields
 *   (field.<name> = "type options"), deadline (a non-interrupting boundary timer
 *   deadline('<step>') leading to an escalation end), a gateway's outgoing conditions as
 *   decisions (decision == 'approve'), an end event's status (id end_<status>).
 * - ~800 ms after each change the drawing is checked (POST data-validate-url, the session's
 *   CSRF token in X-CSRF-Token); problem elements get the marker relief-problem and an
 *   overlay with the reason, and the panel lists them (a click selects the element).
 * - Saving posts the drawing and the note to data-save-url; the answer is where the new
 *   version is (then the page goes there) or the problems (the drawing stays).
 *
 * bpmn-js keeps its bpmn.io watermark (.bjs-powered-by) visible: nothing here hides it.
 * The container carries data-ready="true" once drawn, data-checked="<n>" after each check.
 */
(function () {
  'use strict';

  var SPIFF_URI = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  // SpiffWorkflow's extension elements as moddle reads and writes them (bpmn-js ships no
  // descriptor for them): <spiffworkflow:properties><spiffworkflow:property name value/>.
  var SPIFF = {
    name: 'SpiffWorkflow',
    uri: SPIFF_URI,
    prefix: 'spiffworkflow',
    xml: { tagAlias: 'lowerCase' },
    associations: [],
    types: [
      {
        name: 'Properties',
        superClass: ['Element'],
        properties: [{ name: 'properties', type: 'Property', isMany: true }]
      },
      {
        name: 'Property',
        superClass: ['Element'],
        properties: [
          { name: 'name', type: 'String', isAttr: true },
          { name: 'value', type: 'String', isAttr: true }
        ]
      }
    ]
  };
  var DEBOUNCE_MS = 800;
  var DECISIONS = ['approve', 'reject', 'return'];
  var PALETTE = [
    'hand-tool', 'lasso-tool', 'space-tool', 'global-connect-tool', 'tool-separator',
    'create.start-event', 'create.intermediate-event', 'create.end-event',
    'create.exclusive-gateway', 'create.user-task', 'create.participant-expanded'
  ];
  var CONTEXT_PAD = [
    'append.end-event', 'append.gateway', 'append.user-task', 'append.intermediate-event',
    'append.timer-intermediate-event', 'connect', 'delete', 'replace',
    'lane-insert-above', 'lane-insert-below', 'lane-divide-two', 'lane-divide-three'
  ];
  var REPLACE = [
    'replace-with-user-task', 'replace-with-none-start', 'replace-with-none-end',
    'replace-with-exclusive-gateway', 'replace-with-timer-intermediate-catch',
    'replace-with-timer-boundary', 'replace-with-non-interrupting-timer-boundary',
    'replace-with-expanded-pool', 'replace-with-sequence-flow', 'replace-with-default-flow',
    'replace-with-conditional-flow'
  ];

  function only(allowed) {
    return function (entries) {
      var kept = {};
      allowed.forEach(function (id) {
        if (entries[id]) {
          kept[id] = entries[id];
        }
      });
      return kept;
    };
  }

  // --- the service's elements only ---------------------------------------------------------

  function ReliefPalette(palette, create, elementFactory, translate) {
    this.getPaletteEntries = function () {
      return function (entries) {
        entries['create.user-task'] = {
          group: 'activity',
          className: 'bpmn-icon-user-task',
          title: translate('Create user task'),
          action: {
            dragstart: start,
            click: start
          }
        };
        return only(PALETTE)(entries);
      };
    };
    function start(event) {
      create.start(event, elementFactory.createShape({ type: 'bpmn:UserTask' }));
    }
    palette.registerProvider(500, this);
  }
  ReliefPalette.$inject = ['palette', 'create', 'elementFactory', 'translate'];

  function ReliefContextPad(contextPad, autoPlace, create, elementFactory, translate) {
    this.getContextPadEntries = function (element) {
      return function (entries) {
        if (entries['append.append-task']) {
          var append = function (event, source) {
            var shape = elementFactory.createShape({ type: 'bpmn:UserTask' });
            if (event.type === 'dragstart') {
              create.start(event, shape, { source: source });
            } else {
              autoPlace.append(source, shape);
            }
          };
          entries['append.user-task'] = {
            group: 'model',
            className: 'bpmn-icon-user-task',
            title: translate('Append user task'),
            action: { click: append, dragstart: append }
          };
        }
        return only(CONTEXT_PAD)(entries);
      };
    };
    contextPad.registerProvider(500, this);
  }
  ReliefContextPad.$inject = ['contextPad', 'autoPlace', 'create', 'elementFactory', 'translate'];

  function ReliefReplace(popupMenu) {
    this.getPopupMenuEntries = function () {
      return only(REPLACE);
    };
    this.getPopupMenuHeaderEntries = function () {
      return function () {
        return {}; // loops, compensation, ad-hoc…: nothing the service runs
      };
    };
    popupMenu.registerProvider('bpmn-replace', 500, this);
  }
  ReliefReplace.$inject = ['popupMenu'];

  // bpmn-js's texts in the page's language (<ul id="modeler-words">: data-en → said), with
  // its {placeholder} replacements, as its own translate service does.
  function translateModule() {
    var words = {};
    document.querySelectorAll('#modeler-words [data-en]').forEach(function (item) {
      words[item.getAttribute('data-en')] = item.textContent.trim();
    });
    return {
      translate: ['value', function (template, replacements) {
        var text = words[template] || template;
        return text.replace(/{([^}]+)}/g, function (_, key) {
          return replacements && key in replacements ? replacements[key] : '{' + key + '}';
        });
      }]
    };
  }

  // One panel action (a deadline is a timer, its end and their names) is one command: the
  // commands it runs in preExecute join its undo step, so one undo takes it back whole.
  function PanelCommand() {
    this.preExecute = function (context) {
      context.apply();
    };
  }

  function ReliefCommands(commandStack) {
    commandStack.registerHandler('relief.panel', PanelCommand);
  }
  ReliefCommands.$inject = ['commandStack'];

  var RELIEF_MODULE = {
    __init__: ['reliefPalette', 'reliefContextPad', 'reliefReplace', 'reliefCommands'],
    reliefPalette: ['type', ReliefPalette],
    reliefContextPad: ['type', ReliefContextPad],
    reliefReplace: ['type', ReliefReplace],
    reliefCommands: ['type', ReliefCommands]
  };

  function atomic(modeler, apply) {
    modeler.get('commandStack').execute('relief.panel', { apply: apply });
  }

  // --- extension properties ----------------------------------------------------------------

  function bo(element) {
    return element.businessObject;
  }

  function is(element, type) {
    var object = element && (element.businessObject || element);
    return !!(object && object.$instanceOf && object.$instanceOf(type));
  }

  function propertiesOf(element) {
    var found = [];
    var extension = bo(element).extensionElements;
    ((extension && extension.values) || []).forEach(function (value) {
      if (value.$instanceOf('spiffworkflow:Properties')) {
        (value.properties || []).forEach(function (property) {
          found.push([property.name, property.value]);
        });
      }
    });
    return found;
  }

  function property(element, name) {
    var value = null;
    propertiesOf(element).forEach(function (pair) {
      if (pair[0] === name) {
        value = pair[1];
      }
    });
    return value;
  }

  // Replace the element's spiffworkflow properties, undoably: keep is(name, value) for each
  // old one (false drops it) and append the new [name, value] pairs.
  function rewrite(modeler, element, keep, added) {
    var moddle = modeler.get('moddle');
    var pairs = propertiesOf(element).filter(function (pair) {
      return keep(pair[0], pair[1]);
    }).concat(added || []);
    var old = bo(element).extensionElements;
    var others = ((old && old.values) || []).filter(function (value) {
      return !value.$instanceOf('spiffworkflow:Properties');
    });
    var values = others.slice();
    if (pairs.length) {
      var properties = moddle.create('spiffworkflow:Properties', {
        properties: pairs.map(function (pair) {
          return moddle.create('spiffworkflow:Property', { name: pair[0], value: pair[1] });
        })
      });
      values.push(properties);
    }
    var extension = values.length ? moddle.create('bpmn:ExtensionElements', { values: values }) : undefined;
    modeler.get('modeling').updateProperties(element, { extensionElements: extension });
  }

  function setProperty(modeler, element, name, value) {
    var replaced = false;
    var keep = function (key) {
      if (key === name) {
        replaced = true;
        return false;
      }
      return true;
    };
    rewrite(modeler, element, keep, value ? [[name, value]] : []);
    return replaced;
  }

  // --- the side panel ----------------------------------------------------------------------

  function byId(id) {
    return document.getElementById(id);
  }

  function show(id, visible) {
    byId(id).hidden = !visible;
  }

  function boundaryTimer(element) {
    var found = null;
    (element.attachers || []).forEach(function (attacher) {
      var definitions = bo(attacher).eventDefinitions || [];
      if (definitions.length && is(definitions[0], 'bpmn:TimerEventDefinition')) {
        found = attacher;
      }
    });
    return found;
  }

  function timerExpression(timer) {
    var definition = bo(timer).eventDefinitions[0];
    var expression = definition.timeDate || definition.timeDuration || definition.timeCycle;
    return (expression && expression.body) || '';
  }

  function deadlineStep(timer) {
    var match = /deadline\(\s*['"]([^'"]*)['"]\s*\)/.exec(timerExpression(timer));
    return match ? match[1] : '';
  }

  function isDefault(flow) {
    var source = flow.source;
    return !!(source && bo(source)['default'] && bo(source)['default'] === bo(flow));
  }

  function conditionDecision(flow) {
    var condition = bo(flow).conditionExpression;
    var body = (condition && condition.body) || '';
    var match = /^\s*decision\s*==\s*['"](approve|reject|return)['"]\s*$/.exec(body);
    if (match) {
      return [match[1], body];
    }
    return [body ? 'other' : '', body];
  }

  function Panel(modeler, root) {
    this.modeler = modeler;
    this.root = root;
    this.element = null;
    this.bind();
  }

  Panel.prototype.bind = function () {
    var self = this;
    var modeling = function () {
      return self.modeler.get('modeling');
    };
    // Each edit of the panel is one undoable step (see PanelCommand), made on the element
    // selected when it was made; none when there is nothing to change (when = false): an empty
    // step would redraw the panel over what is being typed (a deadline's step before its box
    // is ticked).
    var on = function (id, handler, when) {
      byId(id).addEventListener('change', function (event) {
        if (self.element && (!when || when())) {
          atomic(self.modeler, function () {
            handler(event);
          });
        }
      });
    };
    on('p-name-zh', function (event) {
      modeling().updateProperties(self.element, { name: event.target.value.trim() || undefined });
    });
    on('p-name-en', function (event) {
      setProperty(self.modeler, self.element, 'name.en', event.target.value.trim());
    });
    on('p-role', function (event) {
      modeling().updateProperties(self.element, { name: event.target.value || undefined });
    });
    self.root.querySelectorAll('[data-decision], [data-decision-label]').forEach(function (input) {
      input.addEventListener('change', function () {
        var error = byId('p-decisions-error');
        error.hidden = true;
        if (!self.root.querySelector('[data-decision]:checked')) {
          // None declared means the three defaults: unticking the last one would offer them
          // all again. A task offers at least one decision.
          input.checked = true;
          error.hidden = false;
          return;
        }
        atomic(self.modeler, function () {
          self.writeDecisions();
        });
      });
    });
    on('p-fields', function (event) {
      var added = [];
      event.target.value.split('\n').forEach(function (line) {
        var at = line.indexOf('=');
        var name = (at === -1 ? line : line.slice(0, at)).trim();
        if (name) {
          added.push(['field.' + name, at === -1 ? '' : line.slice(at + 1).trim()]);
        }
      });
      rewrite(self.modeler, self.element, function (key) {
        return key.indexOf('field.') !== 0;
      }, added);
    });
    on('p-deadline', function (event) {
      if (event.target.checked) {
        self.addDeadline();
      } else {
        self.removeDeadline();
      }
    });
    on('p-deadline-step', function (event) {
      self.setTimer(boundaryTimer(self.element), event.target.value.trim() || bo(self.element).id);
    }, function () {
      return !!boundaryTimer(self.element);
    });
    on('p-condition', function (event) {
      self.setCondition(self.element, event.target.value.trim());
    });
    on('p-status', function (event) {
      self.setStatus(event.target.value);
    });
  };

  Panel.prototype.writeDecisions = function () {
    var added = [];
    this.root.querySelectorAll('[data-decision]').forEach(function (box) {
      var code = box.getAttribute('data-decision');
      var label = document.querySelector('[data-decision-label="' + code + '"]').value.trim();
      if (box.checked && label) {
        added.push(['decision.' + code, label]);
      }
    });
    rewrite(this.modeler, this.element, function (key) {
      return key.indexOf('decision.') !== 0;
    }, added);
  };

  Panel.prototype.setTimer = function (timer, step) {
    var moddle = this.modeler.get('moddle');
    var definition = bo(timer).eventDefinitions[0];
    var expression = moddle.create('bpmn:FormalExpression', { body: "deadline('" + step + "')" });
    this.modeler.get('modeling').updateModdleProperties(timer, definition, {
      timeDate: expression, timeDuration: undefined, timeCycle: undefined
    });
  };

  // A non-interrupting boundary timer deadline('<task id>') and the escalation end it leads
  // to, as the shipped flows draw a step's deadline (overdue_<id> → escalated_<id>).
  Panel.prototype.addDeadline = function () {
    var task = this.element;
    var modeling = this.modeler.get('modeling');
    var factory = this.modeler.get('elementFactory');
    var registry = this.modeler.get('elementRegistry');
    var id = bo(task).id;
    var boundary = factory.createShape({
      type: 'bpmn:BoundaryEvent',
      eventDefinitionType: 'bpmn:TimerEventDefinition'
    });
    bo(boundary).cancelActivity = false;
    if (!registry.get('overdue_' + id)) {
      bo(boundary).id = 'overdue_' + id;
    }
    var text = this.root.dataset;
    boundary = modeling.createShape(
      boundary, { x: task.x + task.width - 18, y: task.y + task.height }, task, { attach: true }
    );
    modeling.updateProperties(boundary, { name: text.nameOverdue || undefined });
    setProperty(this.modeler, boundary, 'name.en', 'Overdue');
    this.setTimer(boundary, byId('p-deadline-step').value.trim() || id);
    var end = modeling.appendShape(
      boundary, { type: 'bpmn:EndEvent' }, { x: boundary.x + 18, y: boundary.y + 100 }
    );
    var endId = registry.get('escalated_' + id) ? undefined : 'escalated_' + id;
    modeling.updateProperties(end, { id: endId || bo(end).id, name: text.nameEscalated || undefined });
    setProperty(this.modeler, end, 'name.en', 'Escalated');
    this.show(task);
  };

  Panel.prototype.removeDeadline = function () {
    var timer = boundaryTimer(this.element);
    if (!timer) {
      return;
    }
    var doomed = [timer];
    (timer.outgoing || []).forEach(function (flow) {
      if (flow.target && is(flow.target, 'bpmn:EndEvent') && !(flow.target.incoming || []).some(function (other) {
        return other !== flow;
      })) {
        doomed.push(flow.target);
      }
    });
    this.modeler.get('modeling').removeElements(doomed);
    this.show(this.element);
  };

  Panel.prototype.setCondition = function (flow, body) {
    var moddle = this.modeler.get('moddle');
    var modeling = this.modeler.get('modeling');
    if (body && isDefault(flow)) {
      // A flow with a condition is no longer its gateway's default.
      modeling.updateProperties(flow.source, { 'default': undefined });
    }
    var changes = {
      conditionExpression: body ? moddle.create('bpmn:FormalExpression', { body: body }) : undefined
    };
    var match = /^decision == '(approve|reject|return)'$/.exec(body);
    var english = '';
    if (match) {
      // The branch is named by the decision, in both languages, as the shipped flows do.
      var label = document.querySelector('[data-decision-label="' + match[1] + '"]');
      var parts = (label ? label.defaultValue : '').split('|');
      if (parts[0] && parts[0].trim()) {
        changes.name = parts[0].trim();
        english = (parts[1] || '').trim();
      }
    }
    modeling.updateProperties(flow, changes);
    if (english) {
      setProperty(this.modeler, flow, 'name.en', english);
    }
  };

  Panel.prototype.setStatus = function (status) {
    var element = this.element;
    var registry = this.modeler.get('elementRegistry');
    var modeling = this.modeler.get('modeling');
    if (!status) {
      setProperty(this.modeler, element, 'status', '');
      return;
    }
    var wanted = 'end_' + status;
    var free = !registry.get(wanted) || registry.get(wanted) === element;
    if (free) {
      modeling.updateProperties(element, { id: wanted });
      setProperty(this.modeler, element, 'status', '');
    } else {
      // Another end has that id: this one keeps its own id and says its status.
      setProperty(this.modeler, element, 'status', status);
    }
  };

  Panel.prototype.gatewayRows = function (gateway) {
    var self = this;
    var box = byId('p-gateway-flows');
    var template = byId('gateway-flow-row');
    box.textContent = '';
    (gateway.outgoing || []).forEach(function (flow) {
      var row = template.content.firstElementChild.cloneNode(true);
      var target = flow.target ? (bo(flow.target).name || bo(flow.target).id) : '';
      var select = row.querySelector('[data-role="decision"]');
      var python = row.querySelector('[data-role="python"]');
      var label = row.querySelector('.gateway-flow-target');
      var current = conditionDecision(flow);
      var inputId = 'p-flow-' + bo(flow).id;
      select.id = inputId;
      label.setAttribute('for', inputId);
      label.textContent = (self.root.dataset.textFlowTo || '→') + ' ' + target;
      // No condition: the gateway's default branch, or (not yet the default) "choose one".
      select.value = current[0] || (isDefault(flow) ? '' : 'unset');
      python.value = current[1];
      python.hidden = current[0] !== 'other';
      select.addEventListener('change', function () {
        if (select.value === 'other') {
          python.hidden = false;
          python.focus();
          return;
        }
        atomic(self.modeler, function () {
          if (select.value) {
            self.setCondition(flow, "decision == '" + select.value + "'");
          } else {
            self.setCondition(flow, '');
            self.modeler.get('modeling').updateProperties(gateway, { 'default': bo(flow) });
          }
        });
      });
      python.addEventListener('change', function () {
        atomic(self.modeler, function () {
          self.setCondition(flow, python.value.trim());
        });
      });
      box.appendChild(row);
    });
  };

  Panel.prototype.show = function (element) {
    this.element = element && element.type !== 'label' ? element : null;
    element = this.element;
    var selected = !!element && !is(element, 'bpmn:Process') && !is(element, 'bpmn:Collaboration');
    show('panel-none', !selected);
    show('panel-element', selected);
    if (!selected) {
      return;
    }
    var object = bo(element);
    byId('panel-element-id').textContent = object.id;
    var lane = is(element, 'bpmn:Lane');
    var task = is(element, 'bpmn:UserTask') || is(element, 'bpmn:ManualTask');
    var gateway = is(element, 'bpmn:ExclusiveGateway');
    var flow = is(element, 'bpmn:SequenceFlow');
    var end = is(element, 'bpmn:EndEvent');
    show('panel-names', !lane);
    show('panel-lane', lane);
    show('panel-decisions', task);
    show('panel-fields', task);
    show('panel-deadline', task);
    show('panel-gateway', gateway);
    show('panel-condition', flow && !!(element.source && is(element.source, 'bpmn:ExclusiveGateway')));
    show('panel-end', end);
    byId('p-name-zh').value = object.name || '';
    byId('p-name-en').value = property(element, 'name.en') || '';
    if (lane) {
      byId('p-role').value = object.name || '';
    }
    if (task) {
      var declared = {};
      propertiesOf(element).forEach(function (pair) {
        if (pair[0].indexOf('decision.') === 0) {
          declared[pair[0].slice(9)] = pair[1];
        }
      });
      var none = !Object.keys(declared).length;
      DECISIONS.forEach(function (code) {
        var box = document.querySelector('[data-decision="' + code + '"]');
        var label = document.querySelector('[data-decision-label="' + code + '"]');
        box.checked = none || code in declared;
        label.value = declared[code] || label.defaultValue;
      });
      byId('p-fields').value = propertiesOf(element).filter(function (pair) {
        return pair[0].indexOf('field.') === 0;
      }).map(function (pair) {
        return pair[0].slice(6) + ' = ' + pair[1];
      }).join('\n');
      var timer = boundaryTimer(element);
      byId('p-deadline').checked = !!timer;
      byId('p-deadline-step').value = timer ? deadlineStep(timer) : object.id;
    }
    if (gateway) {
      this.gatewayRows(element);
    }
    if (flow) {
      var condition = object.conditionExpression;
      byId('p-condition').value = (condition && condition.body) || '';
    }
    if (end) {
      var status = property(element, 'status') || (object.id.indexOf('end_') === 0 ? object.id.slice(4) : '');
      byId('p-status').value = status;
    }
  };

  // --- live validation ---------------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function drawingForm(modeler, root, extra) {
    return modeler.saveXML({ format: true }).then(function (result) {
      var form = new FormData();
      var name = (root.dataset.key || 'flow') + '.bpmn';
      form.append('bpmn', new Blob([result.xml], { type: 'application/xml' }), name);
      form.append('key', root.dataset.key || '');
      if (root.dataset.base) {
        form.append('base', root.dataset.base);
      }
      Object.keys(extra || {}).forEach(function (field) {
        form.append(field, extra[field]);
      });
      return form;
    });
  }

  function post(url, form) {
    return fetch(url, {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' }
    }).then(function (response) {
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function Checker(modeler, root) {
    this.modeler = modeler;
    this.root = root;
    this.timer = null;
    this.marked = [];
    this.sequence = 0;
    this.checks = 0;
  }

  Checker.prototype.soon = function () {
    var self = this;
    window.clearTimeout(self.timer);
    self.timer = window.setTimeout(function () {
      self.run();
    }, DEBOUNCE_MS);
  };

  Checker.prototype.run = function () {
    var self = this;
    var sequence = ++self.sequence;
    var text = self.root.dataset;
    byId('editor-status').textContent = text.textChecking;
    drawingForm(self.modeler, self.root).then(function (form) {
      return post(text.validateUrl, form);
    }).then(function (answer) {
      if (sequence !== self.sequence) {
        return; // a later check is on its way
      }
      self.show(answer.body.problems || []);
      byId('editor-status').textContent = answer.body.valid
        ? text.textValid
        : text.textProblems.replace('%(num)s', String((answer.body.problems || []).length));
      self.checks += 1;
      self.root.setAttribute('data-checked', String(self.checks));
      self.root.setAttribute('data-valid', answer.body.valid ? 'true' : 'false');
    }).catch(function () {
      byId('editor-status').textContent = text.textCheckFailed;
    });
  };

  Checker.prototype.show = function (problems) {
    var modeler = this.modeler;
    var canvas = modeler.get('canvas');
    var overlays = modeler.get('overlays');
    var registry = modeler.get('elementRegistry');
    this.marked.forEach(function (id) {
      if (registry.get(id)) {
        canvas.removeMarker(id, 'relief-problem');
      }
    });
    overlays.remove({ type: 'relief-problem' });
    this.marked = [];
    var list = byId('editor-problem-list');
    list.textContent = '';
    var self = this;
    problems.forEach(function (problem) {
      var element = problem.element ? registry.get(problem.element) : null;
      var item = document.createElement('li');
      item.className = 'editor-problem';
      if (problem.english) {
        item.lang = 'en';
      }
      if (element) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'link-button';
        button.setAttribute('data-element', problem.element);
        // Said after the element's name (or id), unless the reason names it already.
        var label = bo(element).name || problem.element;
        var colon = /^zh/.test(document.documentElement.lang) ? '：' : ': ';
        button.textContent = problem.reason.indexOf(label) === -1
          ? label + colon + problem.reason
          : problem.reason;
        button.addEventListener('click', function () {
          modeler.get('selection').select(element);
          canvas.scrollToElement(element);
        });
        item.appendChild(button);
        if (self.marked.indexOf(problem.element) === -1) {
          canvas.addMarker(problem.element, 'relief-problem');
          self.marked.push(problem.element);
          var badge = document.createElement('div');
          badge.className = 'relief-problem-note';
          badge.textContent = problem.reason;
          badge.title = problem.reason;
          overlays.add(problem.element, 'relief-problem', {
            position: { bottom: -4, left: 0 },
            html: badge
          });
        }
      } else {
        item.textContent = (problem.element ? problem.element + ': ' : '') + problem.reason;
      }
      list.appendChild(item);
    });
  };

  // --- saving ------------------------------------------------------------------------------

  // Leaving the page (a link, reload, closing the tab) with changes not saved asks first: the
  // drawing lives only in this page (the browser's own dialog, in its language).
  function bindLeaving(modeler) {
    var guard = function (event) {
      if (modeler.get('commandStack').canUndo()) {
        event.preventDefault();
        event.returnValue = '';
      }
    };
    window.addEventListener('beforeunload', guard);
    return function () {
      window.removeEventListener('beforeunload', guard);
    };
  }

  // The drawing as a .bpmn file, to keep work that cannot be saved yet (problems left, a
  // login expired): it can be uploaded at /flows or opened in any modeler.
  function bindDownload(modeler, root) {
    var button = byId('editor-download');
    if (!button) {
      return;
    }
    button.addEventListener('click', function () {
      modeler.saveXML({ format: true }).then(function (result) {
        var link = document.createElement('a');
        link.href = URL.createObjectURL(new Blob([result.xml], { type: 'application/xml' }));
        link.download = (root.dataset.key || 'flow') + '.bpmn';
        document.body.appendChild(link);
        link.click();
        link.remove();
        window.setTimeout(function () {
          URL.revokeObjectURL(link.href);
        }, 1000);
      });
    });
  }

  function bindSave(modeler, root, checker) {
    var form = byId('editor-save');
    var error = byId('editor-save-error');
    var stopGuard = bindLeaving(modeler);
    bindDownload(modeler, root);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var note = byId('f-note').value.trim();
      error.hidden = true;
      if (!note) {
        error.textContent = root.dataset.textNoteRequired;
        error.hidden = false;
        byId('f-note').focus();
        return;
      }
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      drawingForm(modeler, root, { note: note }).then(function (body) {
        return post(root.dataset.saveUrl, body);
      }).then(function (answer) {
        if (answer.body.location) {
          stopGuard(); // saved: nothing is lost by going to the new version
          window.location.assign(answer.body.location);
          return;
        }
        button.disabled = false;
        checker.show(answer.body.problems || []);
        error.textContent = answer.body.message || root.dataset.textSaveFailed;
        error.hidden = false;
      }).catch(function () {
        // No answer the page can read (the network, an expired login's refusal page).
        button.disabled = false;
        error.textContent = root.dataset.textSaveFailed;
        error.hidden = false;
      });
    });
  }

  // --- lanes by their roles' names -----------------------------------------------------------

  // A lane is named by its role's code (the convention); beside its header the drawing shows
  // the role as people call it (the panel's <select id="p-role"> holds the names).
  function showRoles(modeler) {
    var overlays = modeler.get('overlays');
    var names = {};
    document.querySelectorAll('#p-role option').forEach(function (option) {
      if (option.value) {
        names[option.value] = option.textContent.trim();
      }
    });
    overlays.remove({ type: 'relief-role' });
    modeler.get('elementRegistry').filter(function (element) {
      return is(element, 'bpmn:Lane');
    }).forEach(function (lane) {
      var name = names[bo(lane).name || ''];
      if (!name) {
        return;
      }
      var badge = document.createElement('div');
      badge.className = 'relief-role-name';
      badge.textContent = name;
      overlays.add(lane.id, 'relief-role', { position: { top: 4, left: 36 }, html: badge });
    });
  }

  // --- zoom --------------------------------------------------------------------------------

  var SMALLEST = 0.45; // below this the shapes are too small to touch (a phone)
  var READABLE = 0.6;

  // The whole flow in view; on a narrow screen, readable and starting at the flow's left.
  function fit(modeler) {
    var canvas = modeler.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    if (canvas.zoom() < SMALLEST) {
      var inner = canvas.viewbox().inner;
      canvas.zoom(READABLE);
      var box = canvas.viewbox();
      canvas.viewbox({ x: inner.x - 60, y: inner.y - 10, width: box.width, height: box.height });
    }
  }

  function bindZoom(modeler, container) {
    var controls = container.querySelector('.diagram-controls');
    if (!controls) {
      return;
    }
    container.appendChild(controls); // above the drawing bpmn-js added
    // Undo and redo as buttons too: a phone has no Ctrl+Z, and the panel's edits are undone
    // one action at a time (see PanelCommand).
    var stack = modeler.get('commandStack');
    var history = function () {
      controls.querySelectorAll('[data-command]').forEach(function (button) {
        var undo = button.getAttribute('data-command') === 'undo';
        button.disabled = undo ? !stack.canUndo() : !stack.canRedo();
      });
    };
    modeler.on('commandStack.changed', history);
    history();
    controls.addEventListener('click', function (event) {
      var command = event.target instanceof Element ? event.target.closest('[data-command]') : null;
      if (command) {
        if (command.getAttribute('data-command') === 'undo') {
          stack.undo();
        } else {
          stack.redo();
        }
        return;
      }
      var button = event.target instanceof Element ? event.target.closest('[data-zoom]') : null;
      if (!button) {
        return;
      }
      var canvas = modeler.get('canvas');
      var action = button.getAttribute('data-zoom');
      if (action === 'reset') {
        fit(modeler);
        return;
      }
      var box = canvas.viewbox();
      canvas.zoom(canvas.zoom() * (action === 'in' ? 1.25 : 0.8), {
        x: box.outer.width / 2,
        y: box.outer.height / 2
      });
    });
  }

  // --- start -------------------------------------------------------------------------------

  function start() {
    var root = byId('flow-editor');
    if (!root || !window.BpmnJS) {
      return;
    }
    var container = byId('editor-canvas');
    var source = byId(root.dataset.source);
    var modeler = new window.BpmnJS({
      container: container,
      additionalModules: [translateModule(), RELIEF_MODULE],
      moddleExtensions: { spiffworkflow: SPIFF }
    });
    var panel = new Panel(modeler, root);
    var checker = new Checker(modeler, root);
    window.reliefModeler = modeler; // for the browser tests, which draw through its API
    modeler.importXML(source.value).then(function () {
      var loading = container.querySelector('.diagram-loading');
      if (loading) {
        loading.remove();
      }
      fit(modeler);
      bindZoom(modeler, container);
      // The drawing shows the flow as written (lanes by role code, names as typed): not for
      // translation. The palette and the menus around it are the page's words.
      var svg = container.querySelector('svg');
      if (svg) {
        svg.setAttribute('translate', 'no');
      }
      modeler.on('selection.changed', function (event) {
        panel.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
      });
      showRoles(modeler);
      modeler.on('commandStack.changed', function () {
        showRoles(modeler);
        checker.soon();
        if (panel.element) {
          panel.show(panel.element);
        }
      });
      bindSave(modeler, root, checker);
      root.setAttribute('data-ready', 'true');
      checker.run();
    }).catch(function (error) {
      root.setAttribute('data-failed', String(error && error.message));
      container.textContent = root.dataset.textFailed;
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
