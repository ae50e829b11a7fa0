/* The record form page: live visibility and requiredness (conditions.js), formula previews, a draft
   kept in localStorage, submission by fetch with errors shown inline, and an offline queue.

   Progressive enhancement: without this script the form posts normally and the server re-renders
   it with its errors. With it:
   - a field whose visible_if fails is hidden and its inputs disabled, so its value is never sent;
   - every change is saved as a draft (restored after a reload, cleared once the record is saved);
   - a submission made offline (or whose request fails) is queued in localStorage with the form's
     idempotency key and sent once the connection returns; the server's create_record returns the
     same record for a repeated key, so a retry never makes two. */
(function () {
  "use strict";

  var DRAFT_SKIP = ["csrf_token", "_action"];

  function Page(form, config) {
    this.form = form;
    this.config = config;
    this.messages = config.messages;
    this.status = form.querySelector("[data-form-status]");
    this.summary = document.querySelector("[data-error-summary]");
    this.previewTimer = null;
    this.draftTimer = null;
    this.flushing = false;
  }

  Page.prototype.csrfToken = function () {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : (this.form.querySelector("input[name=csrf_token]") || {}).value;
  };

  Page.prototype.wrappers = function (root) {
    return Array.prototype.slice.call((root || this.form).querySelectorAll("[data-field][data-widget]"))
      .filter(function (wrapper) { return wrapper.classList.contains("ff-field"); });
  };

  /** The top-level field wrapper of a key (not a subtable cell). */
  Page.prototype.wrapper = function (key) {
    return this.form.querySelector(".ff-field[data-field='" + key.replace(/'/g, "") + "']");
  };

  Page.prototype.initWithin = function (root) {
    var page = this;
    this.wrappers(root).forEach(function (wrapper) {
      if (wrapper.dataset.enhanced) {
        return;
      }
      wrapper.dataset.enhanced = "true";
      var entry = window.FormflowWidgets.get(wrapper.dataset.widget);
      if (entry.init) {
        entry.init(wrapper, page);
      }
    });
  };

  // --- values and conditions --------------------------------------------------------------------

  /** Current values in their stored shapes, for the condition evaluator. */
  Page.prototype.values = function () {
    var page = this;
    var values = {};
    Object.keys(this.config.system_values || {}).forEach(function (key) {
      values[key] = page.config.system_values[key];
    });
    Object.keys(this.config.fields).forEach(function (key) {
      var wrapper = page.wrapper(key);
      if (wrapper && !wrapper.hidden) {
        values[key] = window.FormflowWidgets.get(wrapper.dataset.widget).value(wrapper, page);
      } else if (wrapper) {
        values[key] = null;
      }
    });
    return values;
  };

  function setDisabled(wrapper, disabled) {
    wrapper.querySelectorAll("input, select, textarea, button").forEach(function (control) {
      if (disabled && !control.disabled) {
        control.disabled = true;
        control.dataset.hiddenDisabled = "true";
      } else if (!disabled && control.dataset.hiddenDisabled) {
        control.disabled = false;
        delete control.dataset.hiddenDisabled;
      }
    });
  }

  function setRequired(wrapper, required) {
    var mark = wrapper.querySelector("[data-required-mark]");
    if (mark) {
      mark.hidden = !required;
    }
    wrapper.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea")
      .forEach(function (control) {
        if (control.closest(".ff-field") !== wrapper) {
          return;
        }
        control.required = required;
        if (required) {
          control.setAttribute("aria-required", "true");
        } else {
          control.removeAttribute("aria-required");
        }
      });
  }

  /** Show, hide, require: evaluate every field's visible_if / required_if on the current values.
      A field hidden by its condition counts as empty for the others (as on the server). */
  Page.prototype.applyConditions = function () {
    var page = this;
    var conditions = this.config.conditions;
    var keys = Object.keys(conditions);
    for (var pass = 0; pass < 3; pass += 1) {
      var values = this.values();
      var changedAny = false;
      keys.forEach(function (key) {
        var wrapper = page.wrapper(key);
        if (!wrapper) {
          return;
        }
        var rules = conditions[key];
        if (rules.visible_if) {
          var visible = window.FormflowConditions.evaluate(rules.visible_if, values, page.config.fields, page.context());
          if (wrapper.hidden === visible) {
            wrapper.hidden = !visible;
            setDisabled(wrapper, !visible);
            changedAny = true;
          }
        }
        if (rules.required_if) {
          var required = page.config.required.indexOf(key) !== -1 ||
            window.FormflowConditions.evaluate(rules.required_if, values, page.config.fields, page.context());
          setRequired(wrapper, required);
        }
      });
      if (!changedAny) {
        break;
      }
    }
  };

  Page.prototype.context = function () {
    var context = this.config.context;
    return {user: context.user, team: context.team, timezone: context.timezone, now: new Date()};
  };

  // --- formula previews (a server round trip: the formula language lives on the server) -----------

  Page.prototype.schedulePreview = function () {
    var page = this;
    if (!this.config.preview_url) {
      return;
    }
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(function () { page.preview(); }, 400);
  };

  Page.prototype.preview = function () {
    var page = this;
    if (!navigator.onLine) {
      return;
    }
    fetch(this.config.preview_url, {method: "POST", body: this.formData(), credentials: "same-origin",
                                    headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) {
          return;
        }
        Object.keys(body.values).forEach(function (name) {
          var output = page.form.querySelector("[data-computed='" + name + "']");
          if (output) {
            output.textContent = body.values[name] || "—";
          }
        });
      })
      .catch(function () { /* offline: the preview waits for the next change */ });
  };

  // --- drafts -------------------------------------------------------------------------------------

  Page.prototype.formData = function () {
    var data = new FormData(this.form);
    data.set("_action", "save");
    return data;
  };

  Page.prototype.entries = function () {
    var pairs = [];
    this.formData().forEach(function (value, name) {
      if (typeof value === "string" && DRAFT_SKIP.indexOf(name) === -1) {
        pairs.push([name, value]);
      }
    });
    return pairs;
  };

  Page.prototype.saveDraft = function () {
    try {
      localStorage.setItem(this.config.draft_key, JSON.stringify({saved_at: Date.now(), entries: this.entries()}));
    } catch (error) {
      /* storage full or disabled: the form still works */
    }
  };

  Page.prototype.scheduleDraft = function () {
    var page = this;
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(function () { page.saveDraft(); }, 300);
  };

  Page.prototype.readDraft = function () {
    try {
      return JSON.parse(localStorage.getItem(this.config.draft_key) || "null");
    } catch (error) {
      return null;
    }
  };

  Page.prototype.clearDraft = function (key) {
    try {
      localStorage.removeItem(key || this.config.draft_key);
    } catch (error) {
      /* nothing to clear */
    }
  };

  /** Put saved entries back into the inputs (rows added first, pickers refreshed after). */
  Page.prototype.fill = function (entries) {
    var page = this;
    var byName = {};
    entries.forEach(function (pair) {
      (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]);
    });
    this.form.querySelectorAll("[data-subtable]").forEach(function (table) {
      var name = table.dataset.subtable;
      var highest = -1;
      Object.keys(byName).forEach(function (key) {
        var match = key.indexOf(name + ".") === 0 && /^(\d+)\./.exec(key.slice(name.length + 1));
        if (match) {
          highest = Math.max(highest, Number(match[1]));
        }
      });
      if (table._ensureRows) {
        table._ensureRows(highest + 1);
      }
    });
    this.form.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (control) {
      var name = control.name;
      if (DRAFT_SKIP.indexOf(name) !== -1 || name === "_fields" || control.type === "file") {
        return;
      }
      var values = byName[name] || [];
      if (control.type === "checkbox" || control.type === "radio") {
        control.checked = values.indexOf(control.value) !== -1;
      } else if (control.type === "hidden" && control.closest("[data-widget=checkbox]")) {
        return;  // the "false" behind a yes/no box stays
      } else if (name in byName) {
        control.value = values[values.length - 1];
      }
    });
    this.wrappers().forEach(function (wrapper) {
      var entry = window.FormflowWidgets.get(wrapper.dataset.widget);
      if (entry.refresh) {
        entry.refresh(wrapper, page);
      }
    });
  };

  Page.prototype.restoreDraft = function () {
    var page = this;
    var draft = this.readDraft();
    if (!draft || !draft.entries) {
      return;
    }
    if (this.form.hasAttribute("data-has-errors")) {
      this.saveDraft();  // what the server just showed is newer than any draft
      return;
    }
    var version = this.form.querySelector("input[name=_version]");
    var saved = draft.entries.filter(function (pair) { return pair[0] === "_version"; })[0];
    if (version && saved && saved[1] !== version.value) {
      this.clearDraft();  // the record changed since: the draft is stale
      return;
    }
    this.fill(draft.entries);
    this.applyConditions();
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button--quiet";
    discard.textContent = this.messages.discard_draft;
    discard.addEventListener("click", function () {
      page.clearDraft();
      window.location.reload();
    });
    this.say(this.messages.draft_restored, "info", discard);
  };

  // --- messages and errors ----------------------------------------------------------------------

  Page.prototype.say = function (text, kind, extra) {
    this.status.textContent = text;
    this.status.className = "form-status form-status--" + (kind || "info");
    if (extra) {
      this.status.appendChild(extra);
    }
    this.status.hidden = !text;
  };

  Page.prototype.fieldError = function (name, message) {
    var holder = this.form.querySelector("[data-error-for='" + name + "']");
    if (!holder) {
      return false;
    }
    holder.textContent = message || "";
    holder.hidden = !message;
    var wrapper = holder.closest(".ff-field");
    if (wrapper) {
      wrapper.classList.toggle("field--invalid", Boolean(message));
      wrapper.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (control) {
        if (control.closest(".ff-field") !== wrapper) {
          return;
        }
        if (message) {
          control.setAttribute("aria-invalid", "true");
          var described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
          if (described.indexOf(holder.id) === -1) {
            described.push(holder.id);
          }
          control.setAttribute("aria-describedby", described.join(" "));
        } else {
          control.removeAttribute("aria-invalid");
        }
      });
    }
    return true;
  };

  Page.prototype.showErrors = function (errors, message) {
    var page = this;
    this.form.querySelectorAll("[data-error-for]").forEach(function (holder) {
      page.fieldError(holder.dataset.errorFor, "");
    });
    var list = this.summary.querySelector("[data-error-list]");
    list.textContent = "";
    var grouped = {};
    errors.forEach(function (error) {
      (grouped[error.field] = grouped[error.field] || []).push(error.message);
    });
    Object.keys(grouped).forEach(function (name) {
      var text = grouped[name].join(" ");
      var item = document.createElement("li");
      if (name && page.fieldError(name, text)) {
        var link = document.createElement("a");
        link.href = "#ff-" + name.replace(/[._]/g, "-") + "-field";
        var wrapper = page.wrapper(name.split(".")[0]);
        var label = wrapper && wrapper.querySelector(".field__label");
        link.textContent = (label ? label.firstChild.textContent.trim() + ": " : "") + text;
        item.appendChild(link);
      } else {
        item.textContent = text;
      }
      list.appendChild(item);
    });
    if (!errors.length && message) {
      var only = document.createElement("li");
      only.textContent = message;
      list.appendChild(only);
    }
    this.summary.hidden = false;
    this.summary.focus();
  };

  // --- sending and the offline queue ------------------------------------------------------------

  function send(url, data) {
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return {status: response.status, ok: response.ok, body: body};
        });
      });
  }

  function readQueue(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "[]");
    } catch (error) {
      return [];
    }
  }

  function writeQueue(key, items) {
    localStorage.setItem(key, JSON.stringify(items));
  }

  Page.prototype.enqueue = function () {
    var entries = this.entries();
    var key = this.form.querySelector("input[name=_idempotency_key]");
    var items = readQueue(this.config.queue_key).filter(function (item) {
      return !key || item.idempotency_key !== key.value;
    });
    items.push({url: this.form.action, entries: entries, idempotency_key: key ? key.value : null,
                draft_key: this.config.draft_key, queued_at: Date.now()});
    writeQueue(this.config.queue_key, items);
    this.saveDraft();
    this.say(this.messages.queued, "warning");
  };

  /** Send the queued submissions one by one; each leaves the queue once the server answered it. */
  Page.prototype.flush = function () {
    var page = this;
    if (this.flushing || !navigator.onLine) {
      return Promise.resolve();
    }
    var items = readQueue(this.config.queue_key);
    if (!items.length) {
      return Promise.resolve();
    }
    this.flushing = true;
    var item = items[0];
    var data = new FormData();
    item.entries.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.set("csrf_token", this.csrfToken());
    data.set("_action", "save");
    return send(item.url, data).then(function (result) {
      writeQueue(page.config.queue_key, readQueue(page.config.queue_key).filter(function (queued) {
        return queued.idempotency_key !== item.idempotency_key;
      }));
      page.flushing = false;
      if (result.ok) {
        page.clearDraft(item.draft_key);
        page.say(result.body.message || page.messages.sent, "success");
        if (item.draft_key === page.config.draft_key && result.body.redirect) {
          window.location.assign(result.body.redirect);
          return null;
        }
      } else if (item.draft_key === page.config.draft_key) {
        page.say("", "info");
        page.showErrors(result.body.errors || [], result.body.message || page.messages.not_saved);
      } else {
        page.say(page.messages.queued_failed, "error");
      }
      return page.flush();
    }).catch(function () {
      page.flushing = false;  // still offline: try again when the browser says it is back
    });
  };

  Page.prototype.submit = function () {
    var page = this;
    if (!navigator.onLine) {
      this.enqueue();
      return;
    }
    var button = this.form.querySelector("[data-save]");
    button.disabled = true;
    this.say(this.messages.saving, "info");
    send(this.form.action, this.formData()).then(function (result) {
      button.disabled = false;
      if (result.ok) {
        page.clearDraft();
        page.say(result.body.message || page.messages.sent, "success");
        window.location.assign(result.body.redirect || page.config.list_url);
        return;
      }
      page.say("", "info");
      page.showErrors(result.body.errors || [], result.body.message || page.messages.not_saved);
    }).catch(function () {
      button.disabled = false;
      page.enqueue();
    });
  };

  // --- wiring -------------------------------------------------------------------------------------

  Page.prototype.changed = function () {
    this.applyConditions();
    this.schedulePreview();
    this.scheduleDraft();
  };

  Page.prototype.start = function () {
    var page = this;
    this.initWithin(this.form);
    // fields the server hid start with their inputs disabled by it: remember that for re-showing
    this.wrappers().forEach(function (wrapper) {
      if (wrapper.hidden) {
        setDisabled(wrapper, true);
        wrapper.querySelectorAll("input, select, textarea, button").forEach(function (control) {
          control.dataset.hiddenDisabled = "true";
        });
      }
    });
    this.restoreDraft();
    this.applyConditions();
    this.form.addEventListener("input", function () { page.changed(); });
    this.form.addEventListener("change", function () { page.changed(); });
    this.form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value && submitter.value !== "save") {
        return;  // a row button the widget did not handle: let the server do it
      }
      event.preventDefault();
      page.submit();
    });
    window.addEventListener("online", function () { page.flush(); });
    window.addEventListener("offline", function () { page.say(page.messages.offline_notice, "warning"); });
    this.flush();
  };

  function start() {
    var form = document.querySelector("[data-record-form]");
    var config = document.getElementById("record-form-config");
    if (!form || !config || !window.FormflowConditions || !window.FormflowWidgets) {
      return;
    }
    new Page(form, JSON.parse(config.textContent)).start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
