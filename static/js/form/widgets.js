/* Widgets of the record form in the browser: one entry per widget name (the field type's ``widget``,
   like templates/widgets/<name>.html). An entry may define
     init(wrapper, page)   enhance the server-rendered markup (pickers, rows, uploads)
     value(wrapper, page)  the field's current value in its stored shape, for conditions.js
     refresh(wrapper, page) re-read the inputs after a draft was restored into them
   Entries without ``value`` read the field's input as text. Everything here is progressive: the
   markup works without it (see the templates). ``page`` is the form controller (record-form.js). */
(function () {
  "use strict";

  var entries = {};

  function register(name, entry) {
    entries[name] = entry;
  }

  function get(name) {
    return entries[name] || entries.text;
  }

  function inputsNamed(wrapper, name) {
    return Array.prototype.filter.call(wrapper.querySelectorAll("input, select, textarea"), function (input) {
      return input.name === name;
    });
  }

  function textValue(wrapper) {
    var input = inputsNamed(wrapper, wrapper.dataset.field)[0];
    var text = input ? input.value.trim() : "";
    return text === "" ? null : text;
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function changed(input) {
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function format(message, values) {
    return String(message).replace(/%\((\w+)\)s/g, function (all, name) {
      return values[name] === undefined ? all : values[name];
    });
  }

  // --- plain inputs -------------------------------------------------------------------------------

  ["text", "textarea", "email", "phone", "url", "date", "select"].forEach(function (name) {
    register(name, {value: textValue});
  });

  function numberValue(wrapper) {
    var text = textValue(wrapper);
    if (text === null) {
      return null;
    }
    var number = Number(text.replace(/[,\s%]/g, ""));
    return isFinite(number) ? number : text;
  }

  register("number", {value: numberValue});
  register("rating", {value: function (wrapper) {
    var checked = wrapper.querySelector("input[type=radio]:checked");
    return checked && checked.value ? Number(checked.value) : null;
  }});
  register("currency", {value: function (wrapper) {
    var text = textValue(wrapper);
    if (text === null) {
      return null;
    }
    var plain = text.replace(/[,\s¥￥$€£]|HK\$/g, "");
    return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(plain) ? plain : text;
  }});
  register("datetime", {value: function (wrapper, page) {
    var text = textValue(wrapper);
    return text === null ? null : (window.FormflowConditions.localToUtc(text, page.config.context.timezone) || text);
  }});
  register("checkbox", {value: function (wrapper) {
    var box = wrapper.querySelector("input[type=checkbox]");
    return box ? box.checked : null;
  }});
  register("multiselect", {value: function (wrapper) {
    var values = Array.prototype.map.call(wrapper.querySelectorAll("input[type=checkbox]:checked"), function (box) {
      return box.value;
    });
    return values.length ? values : null;
  }});
  register("formula", {value: function () { return null; }});
  register("auto_number", {value: function () { return null; }});

  // --- relation and user pickers: search as you type, paged, keyboard and touch -------------------

  function ids(text) {
    return String(text || "").split(/[\s,，]+/).filter(function (item) { return /^\d+$/.test(item); });
  }

  function picker(wrapper, page) {
    var box = wrapper.querySelector("[data-picker]");
    var input = inputsNamed(wrapper, wrapper.dataset.field)[0];
    if (!box || !input) {
      return;
    }
    var messages = page.config.messages;
    var multiple = box.dataset.multiple === "true";
    var titles = JSON.parse(box.dataset.titles || "{}");
    var chosen = box.querySelector("[data-picker-chosen]");
    var url = page.config.choices_url.replace("__field__", encodeURIComponent(box.dataset.pickerField));
    var listId = input.id + "-results";
    var search = element("input", {
      "class": "input", type: "search", id: input.id + "-search", role: "combobox", autocomplete: "off",
      "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": listId,
      placeholder: messages.search, enterkeyhint: "search"
    });
    var results = element("ul", {"class": "ff-picker__results", id: listId, role: "listbox"});
    results.hidden = true;
    var label = wrapper.querySelector("label[for='" + input.id + "']");
    if (label) {
      label.setAttribute("for", search.id);
    }
    if (input.getAttribute("aria-describedby")) {
      search.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
    }
    if (input.required) {
      search.setAttribute("aria-required", "true");
    }
    input.type = "hidden";
    input.removeAttribute("id");
    box.appendChild(search);
    box.appendChild(results);
    var next = null;
    var active = -1;
    var timer = null;
    var generation = 0;

    function renderChosen() {
      chosen.textContent = "";
      ids(input.value).forEach(function (id) {
        var title = titles[id] || "#" + id;
        var chip = element("li", {"class": "ff-chip", "data-id": id});
        chip.appendChild(element("span", {}, title));
        var remove = element("button", {"class": "ff-chip__remove", type: "button",
          "aria-label": format(messages.remove, {name: title})}, "×");
        remove.addEventListener("click", function () {
          input.value = ids(input.value).filter(function (item) { return item !== id; }).join(", ");
          renderChosen();
          changed(input);
          search.focus();
        });
        chip.appendChild(remove);
        chosen.appendChild(chip);
      });
    }

    function choose(item) {
      var id = String(item.id);
      titles[id] = item.title;
      var current = multiple ? ids(input.value).filter(function (value) { return value !== id; }) : [];
      current.push(id);
      input.value = current.join(", ");
      renderChosen();
      changed(input);
      search.value = "";
      close();
    }

    function close() {
      results.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = results.querySelectorAll("[role=option]");
      if (!options.length) {
        return;
      }
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, position) {
        option.setAttribute("aria-selected", position === active ? "true" : "false");
      });
      search.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    }

    function show(items, append) {
      if (!append) {
        results.textContent = "";
      }
      var more = results.querySelector("[data-more]");
      if (more) {
        more.remove();
      }
      items.forEach(function (item) {
        var option = element("li", {"class": "ff-picker__option", role: "option", "aria-selected": "false",
          id: listId + "-" + item.id}, item.title);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(item); });
        option._item = item;
        results.appendChild(option);
      });
      if (!results.querySelector("[role=option]")) {
        results.appendChild(element("li", {"class": "ff-picker__note", role: "presentation"}, messages.no_matches));
      }
      if (next) {
        var load = element("li", {"class": "ff-picker__option", role: "option", "aria-selected": "false",
          id: listId + "-more", "data-more": ""}, messages.load_more);
        load.addEventListener("mousedown", function (event) { event.preventDefault(); });
        load.addEventListener("click", function () { fetchPage(search.value, next); });
        results.appendChild(load);
      }
      results.hidden = false;
      search.setAttribute("aria-expanded", "true");
    }

    function fetchPage(text, cursor) {
      var mine = ++generation;
      var query = "?q=" + encodeURIComponent(text) + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      fetch(url + query, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {items: [], next: null}; })
        .then(function (page) {
          if (mine !== generation) {
            return;
          }
          next = page.next;
          show(page.items, Boolean(cursor));
        })
        .catch(function () {
          results.textContent = "";
          results.appendChild(element("li", {"class": "ff-picker__note", role: "presentation"}, messages.offline));
          results.hidden = false;
        });
    }

    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { fetchPage(search.value, null); }, 250);
    });
    search.addEventListener("focus", function () {
      if (results.hidden) {
        fetchPage(search.value, null);
      }
    });
    search.addEventListener("blur", function () { setTimeout(close, 150); });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (results.hidden) {
          fetchPage(search.value, null);
        } else {
          highlight(active + (event.key === "ArrowDown" ? 1 : -1));
        }
      } else if (event.key === "Enter") {
        var options = results.querySelectorAll("[role=option]");
        if (!results.hidden && options[active]) {
          event.preventDefault();
          options[active].click();
        } else if (!results.hidden) {
          event.preventDefault();
        }
      } else if (event.key === "Escape") {
        close();
      }
    });
    box._refresh = renderChosen;
    renderChosen();
  }

  function pickerValue(wrapper) {
    var input = inputsNamed(wrapper, wrapper.dataset.field)[0];
    var box = wrapper.querySelector("[data-picker]");
    var values = ids(input ? input.value : "").map(Number);
    if (box && box.dataset.multiple === "true") {
      return values.length ? values : null;
    }
    return values.length ? values[values.length - 1] : null;
  }

  var pickerEntry = {
    init: picker,
    value: pickerValue,
    refresh: function (wrapper) {
      var box = wrapper.querySelector("[data-picker]");
      if (box && box._refresh) {
        box._refresh();
      }
    }
  };
  register("relation", pickerEntry);
  register("user", pickerEntry);

  // --- region: cascading pickers, one level at a time ---------------------------------------------

  var regionCache = {};

  function regionChildren(page, parent) {
    if (!regionCache[parent]) {
      regionCache[parent] = fetch(page.config.regions_url + (parent ? "?parent=" + encodeURIComponent(parent) : ""),
        {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) {
            throw new Error("regions " + response.status);
          }
          return response.json();
        })
        .catch(function (error) {
          delete regionCache[parent];
          throw error;
        });
    }
    return regionCache[parent];
  }

  function region(wrapper, page) {
    var box = wrapper.querySelector("[data-region]");
    var input = inputsNamed(wrapper, wrapper.dataset.field)[0];
    if (!box || !input) {
      return;
    }
    var parts = JSON.parse(box.dataset.parts || "[]");
    var depth = parts.indexOf(box.dataset.level) + 1 || parts.length;
    parts = parts.slice(0, depth);
    var codes = JSON.parse(box.dataset.codes || "{}");
    var holder = box.querySelector("[data-region-pickers]");
    var messages = page.config.messages;
    var selects = parts.map(function (part, index) {
      var picker = element("div", {"class": "ff-region__picker"});
      var select = element("select", {"class": "select input", id: input.id + "-" + part});
      picker.appendChild(element("label", {"for": select.id}, messages.region_parts[part] || part));
      picker.appendChild(select);
      holder.appendChild(picker);
      if (input.required) {
        select.setAttribute("aria-required", "true");
      }
      if (input.getAttribute("aria-describedby")) {
        select.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
      }
      select.disabled = input.disabled || index > 0;
      select.addEventListener("change", function () {
        codes[part] = select.value;
        parts.slice(index + 1).forEach(function (below) { delete codes[below]; });
        fill(index + 1, select.value);
        write();
      });
      return select;
    });
    var typed = wrapper.querySelector("label[for='" + input.id + "']");
    if (typed) {
      typed.remove();
    }
    input.type = "hidden";

    function write() {
      var deepest = "";
      parts.forEach(function (part) {
        if (codes[part]) {
          deepest = codes[part];
        }
      });
      input.value = deepest;
      changed(input);
    }

    function fill(index, parent) {
      selects.slice(index).forEach(function (select) {
        select.textContent = "";
        select.appendChild(element("option", {value: ""}, messages.choose));
        select.disabled = true;
      });
      if (index >= selects.length || (index > 0 && !parent)) {
        return Promise.resolve();
      }
      return regionChildren(page, parent).then(function (children) {
        var select = selects[index];
        children.forEach(function (child) {
          var option = element("option", {value: child.code}, child.name);
          if (codes[parts[index]] === child.code) {
            option.selected = true;
          }
          select.appendChild(option);
        });
        select.disabled = input.disabled;
        if (codes[parts[index]]) {
          return fill(index + 1, codes[parts[index]]);
        }
        return null;
      }).catch(function () {
        // offline: the last text stays; people may type names when the pickers cannot load
        input.type = "text";
      });
    }

    box._refresh = function () {
      var deepest = input.value.trim();
      if (/^\d+$/.test(deepest)) {
        codes = {};
        parts.forEach(function (part, index) {
          var length = [2, 4, 6][index];
          if (deepest.length >= length) {
            codes[part] = deepest.slice(0, index === 2 ? deepest.length : length);
          }
        });
        fill(0, "");
      }
    };
    box._selects = selects;
    fill(0, "");
  }

  register("region", {
    init: region,
    value: function (wrapper) {
      var box = wrapper.querySelector("[data-region]");
      var input = inputsNamed(wrapper, wrapper.dataset.field)[0];
      var text = input ? input.value.trim() : "";
      if (!text) {
        return null;
      }
      var parts = JSON.parse(box.dataset.parts || "[]");
      var value = {};
      if (/^\d+$/.test(text)) {
        [2, 4, 6].forEach(function (length, index) {
          if (text.length >= length && parts[index]) {
            value[parts[index]] = index === 2 ? text : text.slice(0, length);
          }
        });
      }
      return value;
    },
    refresh: function (wrapper) {
      var box = wrapper.querySelector("[data-region]");
      if (box && box._refresh) {
        box._refresh();
      }
    }
  });

  // --- subtable rows: add and remove in place, names renumbered like the server reads them ---------

  function slug(text) {
    return text.replace(/[._]/g, "-");
  }

  function renumber(table) {
    var name = table.dataset.subtable;
    var rows = table.querySelectorAll("[data-rows] > [data-row]");
    var namePattern = new RegExp("^" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\\.(\\d+|__row__)\\.");
    var idPattern = new RegExp("^ff-" + slug(name) + "-(\\d+|--row--)-");
    Array.prototype.forEach.call(rows, function (row, index) {
      row.querySelectorAll("*").forEach(function (node) {
        ["name", "data-field", "data-error-for", "data-computed"].forEach(function (attribute) {
          var value = node.getAttribute(attribute);
          if (value && namePattern.test(value)) {
            node.setAttribute(attribute, value.replace(namePattern, name + "." + index + "."));
          }
        });
        ["id", "for", "aria-describedby", "aria-labelledby", "aria-controls"].forEach(function (attribute) {
          var value = node.getAttribute(attribute);
          if (value) {
            node.setAttribute(attribute, value.split(" ").map(function (part) {
              return part.replace(idPattern, "ff-" + slug(name) + "-" + index + "-");
            }).join(" "));
          }
        });
      });
      var remove = row.querySelector("[data-remove-row]");
      if (remove) {
        remove.value = "remove_row:" + name + "." + index;
        remove.textContent = format(table._messages.remove_row, {number: index + 1});
      }
    });
    var add = table.querySelector("[data-add-row]");
    if (add) {
      add.disabled = rows.length >= Number(table.dataset.maxRows || 200) || table.closest("[hidden]") !== null;
    }
  }

  function addRow(table, page) {
    var template = table.querySelector("template[data-row-template]");
    var holder = table.querySelector("[data-rows]");
    var row = template.content.firstElementChild.cloneNode(true);
    holder.appendChild(row);
    renumber(table);
    page.initWithin(row);
    return row;
  }

  function subtable(wrapper, page) {
    var table = wrapper.querySelector("[data-subtable]");
    if (!table) {
      return;
    }
    table._messages = page.config.messages;
    table.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      var remove = event.target.closest("[data-remove-row]");
      if (add) {
        event.preventDefault();
        var row = addRow(table, page);
        var first = row.querySelector("input:not([type=hidden]), select, textarea");
        if (first) {
          first.focus();
        }
        page.changed();
      } else if (remove) {
        event.preventDefault();
        var rows = table.querySelectorAll("[data-rows] > [data-row]");
        var current = remove.closest("[data-row]");
        var position = Array.prototype.indexOf.call(rows, current);
        current.remove();
        renumber(table);
        var left = table.querySelectorAll("[data-rows] > [data-row]");
        var focus = left[Math.min(position, left.length - 1)];
        (focus ? focus.querySelector("input:not([type=hidden]), select, textarea") : table.querySelector("[data-add-row]")).focus();
        page.changed();
      }
    });
    table._ensureRows = function (count) {
      while (table.querySelectorAll("[data-rows] > [data-row]").length < count) {
        addRow(table, page);
      }
    };
    renumber(table);
  }

  register("subtable", {
    init: subtable,
    value: function (wrapper) {
      var rows = Array.prototype.filter.call(wrapper.querySelectorAll("[data-rows] > [data-row]"), function (row) {
        return Array.prototype.some.call(row.querySelectorAll("input:not([type=hidden]), select, textarea"), function (input) {
          return (input.type === "checkbox" || input.type === "radio") ? input.checked : input.value.trim() !== "";
        });
      });
      return rows.length ? rows.map(function () { return {}; }) : null;
    }
  });

  // --- attachments: checked before upload, uploaded with a progress bar -----------------------------

  function accepts(accept, file) {
    if (!accept) {
      return true;
    }
    var name = file.name.toLowerCase();
    var type = (file.type || "").toLowerCase();
    return accept.split(",").some(function (entry) {
      entry = entry.trim().toLowerCase();
      if (entry.charAt(0) === ".") {
        return name.slice(-entry.length) === entry;
      }
      if (entry.slice(-2) === "/*") {
        return type.indexOf(entry.slice(0, -1)) === 0;
      }
      return type === entry;
    });
  }

  function sizeText(bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    return bytes < 1048576 ? (bytes / 1024).toFixed(1).replace(/\.0$/, "") + " KB" :
      (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  function attachment(wrapper, page) {
    var box = wrapper.querySelector("[data-attachment]");
    var picker = box && box.querySelector("input[type=file]");
    if (!picker) {
      return;
    }
    var messages = page.config.messages;
    var key = wrapper.dataset.field;
    var list = box.querySelector("[data-attachment-list]");
    var limit = Math.min(Number(box.dataset.maxSize || Infinity), page.config.max_upload_bytes);
    var url = page.config.upload_url.replace("__field__", encodeURIComponent(box.dataset.attachmentField));
    picker.removeAttribute("name");  // files go to the upload endpoint, never with the form

    function attached() {
      return list.querySelectorAll("input[type=checkbox]:checked").length +
        list.querySelectorAll("[data-uploading]").length;
    }

    function upload(file) {
      var item = element("li", {"class": "ff-file", "data-uploading": ""});
      item.appendChild(element("span", {"class": "ff-file__name"}, file.name));
      var progress = element("progress", {max: "100", value: "0", "aria-label": format(messages.uploading, {name: file.name})});
      var status = element("span", {"class": "ff-file__status", role: "status"}, messages.uploading_short);
      item.appendChild(progress);
      item.appendChild(status);
      list.appendChild(item);
      var data = new FormData();
      data.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRFToken", page.csrfToken());
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          progress.value = Math.round(event.loaded / event.total * 100);
        }
      });
      request.addEventListener("load", function () {
        var body = {};
        try {
          body = JSON.parse(request.responseText);
        } catch (error) {
          body = {};
        }
        if (request.status === 201) {
          item.textContent = "";
          item.removeAttribute("data-uploading");
          var label = element("label", {"class": "ff-choice"});
          var box = element("input", {type: "checkbox", name: key, value: String(body.id), checked: ""});
          label.appendChild(box);
          label.appendChild(element("span", {"class": "ff-file__name"}, body.filename + " · " + sizeText(body.size)));
          item.appendChild(label);
          page.changed();
        } else {
          item.remove();
          page.fieldError(key, (body.errors || []).map(function (error) { return error.message; }).join(" ") ||
            body.message || messages.upload_failed);
        }
      });
      request.addEventListener("error", function () {
        item.remove();
        page.fieldError(key, messages.upload_failed);
      });
      request.send(data);
    }

    picker.addEventListener("change", function () {
      var problems = [];
      Array.prototype.forEach.call(picker.files, function (file) {
        if (attached() >= Number(box.dataset.maxFiles || 10)) {
          problems.push(format(messages.too_many_files, {count: box.dataset.maxFiles}));
        } else if (file.size > limit) {
          problems.push(format(messages.file_too_large, {name: file.name, limit: sizeText(limit)}));
        } else if (!accepts(box.dataset.accept, file)) {
          problems.push(format(messages.file_type, {name: file.name}));
        } else {
          upload(file);
        }
      });
      page.fieldError(key, problems.join(" "));
      picker.value = "";
    });
  }

  register("attachment", {
    init: attachment,
    value: function (wrapper) {
      var values = Array.prototype.map.call(wrapper.querySelectorAll("[data-attachment-list] input:checked"), function (box) {
        return Number(box.value);
      });
      return values.length ? values : null;
    }
  });

  window.FormflowWidgets = {register: register, get: get};
}());
