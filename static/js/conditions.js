/* The JavaScript evaluator of Formflow's condition tree (docs/internals.md, "Conditions").

   It gives the same answer as the Python evaluator (formflow.conditions.python) and the SQL one for
   every vector in tests/conditions/vectors.json (tests/conditions/test_js_vectors.py runs them in
   node). Forms use it for live visibility and requiredness (visible_if / required_if).

     FormflowConditions.evaluate(tree, values, fields, context) -> boolean

   - tree: the JSON condition tree, already checked by the server (conditions.tree.parse).
   - values: {key: stored value} in stored shapes: currency a decimal string, date "YYYY-MM-DD",
     datetime ISO 8601 UTC, multiselect a list, user an id, region {province, city, district}.
   - fields: {key: {kind, system?, parts?}} as formflow.web.form_model.condition_fields gives them:
     the value kind, whether it is a system column (no field type to convert through), and for
     values kept as objects of parts (region) the part names from the top.
   - context: {user, team, timezone, now} like the vectors' context (now: ISO text, Date or ms).

   Plain script, no build step: a global FormflowConditions in browsers, module.exports in node. */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.FormflowConditions = factory();
  }
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var DAY_MS = 86400000;
  var DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
  var DATETIME_PATTERN =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?$/;

  // --- Python's conversions of stored values (FieldType.sql_literal per value kind) -------------

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function isNumber(value) {
    return typeof value === "number" && value === value;
  }

  /** Python float(value); null where Python raises. */
  function pythonFloat(value) {
    if (typeof value === "boolean") {
      return value ? 1 : 0;
    }
    if (typeof value === "number") {
      return value;
    }
    if (typeof value !== "string") {
      return null;
    }
    var text = value.trim();
    var special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
    if (special) {
      if (special[2].toLowerCase() === "nan") {
        return NaN;
      }
      return special[1] === "-" ? -Infinity : Infinity;
    }
    if (!/^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/.test(text)) {
      return null;
    }
    return Number(text.replace(/_/g, ""));
  }

  /** Python int(value); null where Python raises. */
  function pythonInt(value) {
    if (typeof value === "boolean") {
      return value ? 1 : 0;
    }
    if (typeof value === "number") {
      return isFinite(value) ? Math.trunc(value) : null;
    }
    if (typeof value === "string" && /^\s*[+-]?\d(_?\d)*\s*$/.test(value)) {
      return Number(value.trim().replace(/_/g, ""));
    }
    return null;
  }

  /** Python bool(value): truthiness. */
  function pythonBool(value) {
    if (Array.isArray(value) || typeof value === "string") {
      return value.length > 0;
    }
    if (isPlainObject(value)) {
      return Object.keys(value).length > 0;
    }
    return Boolean(value);
  }

  // --- exact decimals (currency): a BigInt coefficient and a power of ten ------------------------

  /** Python Decimal(text) as {coefficient, exponent, finite}; null where Python raises. */
  function parseDecimal(text) {
    if (typeof text !== "string") {
      return null;
    }
    var trimmed = text.trim();
    if (/^[+-]?(inf|infinity|s?nan\d*)$/i.test(trimmed)) {
      return {finite: false};
    }
    var match = /^([+-])?(\d(?:_?\d)*)?(?:\.(\d(?:_?\d)*)?)?(?:[eE]([+-]?\d(?:_?\d)*))?$/.exec(trimmed);
    if (!match || (match[2] === undefined && match[3] === undefined)) {
      return null;
    }
    var whole = (match[2] || "").replace(/_/g, "");
    var fraction = (match[3] || "").replace(/_/g, "");
    var coefficient = BigInt((whole + fraction) || "0");
    var exponent = Number((match[4] || "0").replace(/_/g, "")) - fraction.length;
    return {finite: true, coefficient: match[1] === "-" ? -coefficient : coefficient, exponent: exponent};
  }

  function decimalOf(value) {
    var parsed = parseDecimal(typeof value === "number" ? String(value) : value);
    return parsed && parsed.finite ? parsed : null;
  }

  function compareDecimals(left, right) {
    var exponent = Math.min(left.exponent, right.exponent);
    var a = left.coefficient * BigInt(10) ** BigInt(left.exponent - exponent);
    var b = right.coefficient * BigInt(10) ** BigInt(right.exponent - exponent);
    return a < b ? -1 : (a > b ? 1 : 0);
  }

  // --- dates and instants -----------------------------------------------------------------------

  function dayNumber(year, month, day) {
    return Date.UTC(year, month - 1, day) / DAY_MS;
  }

  function dayText(number) {
    return new Date(number * DAY_MS).toISOString().slice(0, 10);
  }

  function dayParts(number) {
    var moment = new Date(number * DAY_MS);
    return {year: moment.getUTCFullYear(), month: moment.getUTCMonth() + 1, day: moment.getUTCDate()};
  }

  /** A "YYYY-MM-DD" text of a real calendar day (as Python's date.fromisoformat); else null. */
  function parseDate(value) {
    var match = typeof value === "string" ? DATE_PATTERN.exec(value) : null;
    if (!match) {
      return null;
    }
    var year = Number(match[1]);
    var month = Number(match[2]);
    var day = Number(match[3]);
    var parts = dayParts(dayNumber(year, month, day));
    if (year < 1 || parts.year !== year || parts.month !== month || parts.day !== day) {
      return null;
    }
    return value;
  }

  /** An ISO 8601 text as microseconds since 1970 UTC (no offset: UTC); else null. */
  function parseInstant(value) {
    var match = typeof value === "string" ? DATETIME_PATTERN.exec(value) : null;
    if (!match || parseDate(value.slice(0, 10)) === null) {
      return null;
    }
    var hour = Number(match[4]);
    var minute = Number(match[5]);
    var second = Number(match[6] || 0);
    if (hour > 23 || minute > 59 || second > 59) {
      return null;
    }
    var offset = 0;
    if (match[8] && match[8] !== "Z") {
      var sign = match[8][0] === "-" ? -1 : 1;
      var offsetHours = Number(match[8].slice(1, 3));
      var offsetMinutes = Number(match[8].slice(4, 6));
      if (offsetHours > 23 || offsetMinutes > 59) {
        return null;
      }
      offset = sign * (offsetHours * 60 + offsetMinutes) * 60000;
    }
    var milliseconds = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), hour, minute,
      second) - offset;
    var micro = Number(((match[7] || "") + "000000").slice(0, 6));
    return milliseconds * 1000 + micro;
  }

  var formatters = {};

  function formatter(timezone) {
    if (!formatters[timezone]) {
      formatters[timezone] = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit"
      });
    }
    return formatters[timezone];
  }

  /** The wall clock of ``timezone`` at an instant (ms) as fields. */
  function wallClock(milliseconds, timezone) {
    var fields = {};
    formatter(timezone).formatToParts(new Date(milliseconds)).forEach(function (part) {
      fields[part.type] = Number(part.value);
    });
    return fields;
  }

  /** The zone's offset from UTC at an instant, in ms. */
  function offsetAt(milliseconds, timezone) {
    var wall = wallClock(milliseconds, timezone);
    var asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
    return asUtc - Math.floor(milliseconds / 1000) * 1000;
  }

  /** The instant (ms) of local midnight starting day ``number`` in ``timezone``: like Python's
      datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)) with fold=0 (the offset before a
      transition wins in gaps and overlaps). */
  function localMidnight(number, timezone) {
    return wallToInstant(number * DAY_MS, timezone);
  }

  /** The instant (ms) a wall-clock time (given as ms as if it were UTC) is in ``timezone``. */
  function wallToInstant(wall, timezone) {
    var before = offsetAt(wall - DAY_MS, timezone);
    var candidate = wall - before;
    if (offsetAt(candidate, timezone) === before) {
      return candidate;
    }
    var after = offsetAt(candidate, timezone);
    var second = wall - after;
    return offsetAt(second, timezone) === after ? second : candidate;
  }

  /** A local date and time typed in a form ("2026-11-23T16:00") as the stored UTC text, read in
      ``timezone`` like the server does (fields/temporal.py); null when it is not one. */
  function localToUtc(text, timezone) {
    var match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text || "");
    if (!match || parseDate(text.slice(0, 10)) === null) {
      return null;
    }
    var wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]),
      Number(match[5]), Number(match[6] || 0));
    return new Date(wallToInstant(wall, timezone)).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function nowMilliseconds(now) {
    if (now instanceof Date) {
      return now.getTime();
    }
    if (typeof now === "number") {
      return now;
    }
    if (typeof now === "string") {
      return Math.floor(parseInstant(now.replace(/\.\d+/, "")) / 1000);
    }
    return Date.now();
  }

  function today(context) {
    var wall = wallClock(nowMilliseconds(context.now), context.timezone || "Asia/Shanghai");
    return dayNumber(wall.year, wall.month, wall.day);
  }

  function addMonths(number, months) {
    var parts = dayParts(number);
    var index = parts.year * 12 + parts.month - 1 + months;
    return dayNumber(Math.floor(index / 12), index % 12 + 1, 1);
  }

  // units periods are counted in: where one starts, and the start ``count`` units later
  var UNITS = {
    day: {start: function (day) { return day; }, shift: function (day, count) { return day + count; }},
    week: {
      start: function (day) { return day - (new Date(day * DAY_MS).getUTCDay() + 6) % 7; },
      shift: function (day, count) { return day + 7 * count; }
    },
    month: {
      start: function (day) { var parts = dayParts(day); return dayNumber(parts.year, parts.month, 1); },
      shift: addMonths
    },
    quarter: {
      start: function (day) {
        var parts = dayParts(day);
        return dayNumber(parts.year, Math.floor((parts.month - 1) / 3) * 3 + 1, 1);
      },
      shift: function (day, count) { return addMonths(day, 3 * count); }
    },
    year: {
      start: function (day) { return dayNumber(dayParts(day).year, 1, 1); },
      shift: function (day, count) { return dayNumber(dayParts(day).year + count, 1, 1); }
    }
  };

  var PERIODS = {yesterday: ["day", -1], today: ["day", 0], tomorrow: ["day", 1]};
  ["week", "month", "quarter", "year"].forEach(function (unit) {
    PERIODS["last_" + unit] = [unit, -1];
    PERIODS["this_" + unit] = [unit, 0];
    PERIODS["next_" + unit] = [unit, 1];
  });

  function span(first, last, context) {
    return {first: first, last: last, timezone: context.timezone || "Asia/Shanghai"};
  }

  function period(name, context) {
    var spec = PERIODS[name];
    if (!spec) {
      throw new Error("unknown period " + name);
    }
    var unit = UNITS[spec[0]];
    var first = unit.shift(unit.start(today(context)), spec[1]);
    return span(first, unit.shift(first, 1) - 1, context);
  }

  // --- value kinds (formflow.conditions.kinds) ---------------------------------------------------

  function sameJson(left, right) {
    if (isNumber(left) && isNumber(right)) {
      return left === right;
    }
    if (Array.isArray(left) && Array.isArray(right)) {
      return left.length === right.length && left.every(function (item, index) {
        return sameJson(item, right[index]);
      });
    }
    if (isPlainObject(left) && isPlainObject(right)) {
      var keys = Object.keys(left);
      return keys.length === Object.keys(right).length && keys.every(function (key) {
        return Object.prototype.hasOwnProperty.call(right, key) && sameJson(left[key], right[key]);
      });
    }
    return typeof left === typeof right && left === right;
  }

  function foldCase(text) {
    return text.replace(/[A-Z]/g, function (letter) { return letter.toLowerCase(); });
  }

  function plainCompare(left, right) {
    return left < right ? -1 : (left > right ? 1 : 0);
  }

  function equalValues(left, right) {
    return left === right;
  }

  var base = {
    literal: function (value) { return value; },
    value: function (stored) {
      if (stored === null || stored === undefined || stored === "") {
        return null;
      }
      if (Array.isArray(stored) && stored.length === 0) {
        return null;
      }
      if (isPlainObject(stored) && Object.keys(stored).length === 0) {
        return null;
      }
      return stored;
    },
    operand: function (value) { return this.value(value); },
    compare: plainCompare,
    equal: equalValues,
    isOneOf: function (value, operands) {
      return operands.some(function (operand) { return sameJson(value, operand); });
    }
  };

  function kind(overrides) {
    var result = Object.create(base);
    Object.keys(overrides).forEach(function (name) { result[name] = overrides[name]; });
    return result;
  }

  var datetimeKind = kind({
    value: parseInstant,
    inSpan: function (value, days) {
      return localMidnight(days.first, days.timezone) * 1000 <= value &&
        value < localMidnight(days.last + 1, days.timezone) * 1000;
    }
  });

  var KINDS = {
    text: kind({
      value: function (stored) { return typeof stored === "string" && stored !== "" ? stored : null; },
      operand: function (value) { return value; },
      contains: function (value, operand) { return foldCase(value).indexOf(foldCase(operand)) !== -1; },
      startsWith: function (value, operand) { return foldCase(value).indexOf(foldCase(operand)) === 0; }
    }),
    number: kind({
      literal: pythonFloat,
      value: function (stored) { return isNumber(stored) ? stored : null; }
    }),
    integer: kind({
      literal: pythonInt,
      value: function (stored) { return isNumber(stored) && Number.isInteger(stored) ? stored : null; }
    }),
    decimal: kind({
      literal: function (value) {
        return typeof value === "number" || typeof value === "string" ? value : null;
      },
      value: function (stored) { return typeof stored === "number" || typeof stored === "string" ? decimalOf(stored) : null; },
      compare: compareDecimals,
      equal: function (left, right) { return compareDecimals(left, right) === 0; },
      isOneOf: function (value, operands) {
        return operands.some(function (operand) { return compareDecimals(value, operand) === 0; });
      }
    }),
    boolean: kind({
      literal: pythonBool,
      value: function (stored) { return typeof stored === "boolean" ? stored : null; }
    }),
    date: kind({
      value: parseDate,
      inSpan: function (value, days) { return dayText(days.first) <= value && value <= dayText(days.last); }
    }),
    datetime: datetimeKind,
    list: kind({
      value: function (stored) { return Array.isArray(stored) && stored.length ? stored : null; },
      operand: function (value) { return value; },
      isOneOf: function (value, operands) {
        return value.some(function (item) {
          return operands.some(function (operand) { return sameJson(item, operand); });
        });
      },
      contains: function (value, operand) {
        return value.some(function (item) { return sameJson(item, operand); });
      }
    }),
    object: kind({
      value: function (stored) { return isPlainObject(stored) && Object.keys(stored).length ? stored : null; }
    })
  };

  /** A stored value as the condition compares it (Leaf.comparable): through the field type's
      conversion (by kind; objects of parts become their deepest part), then the kind's reading. */
  function comparable(field, valueKind, stored) {
    if (stored === undefined) {
      stored = null;
    }
    if (stored !== null && !field.system) {
      if (field.parts && isPlainObject(stored)) {
        var deepest = null;
        for (var index = field.parts.length - 1; index >= 0; index -= 1) {
          if (pythonBool(stored[field.parts[index]])) {
            deepest = stored[field.parts[index]];
            break;
          }
        }
        stored = deepest;
      } else {
        stored = valueKind.literal(stored);
      }
    }
    return stored === null ? null : valueKind.value(stored);
  }

  // --- operands (formflow.conditions.operators) -------------------------------------------------

  function variableName(value) {
    if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value["var"] === "string") {
      return value["var"];
    }
    return null;
  }

  function variable(name, context) {
    if (name === "me") {
      return context.user === undefined ? null : context.user;
    }
    if (name === "my_team") {
      return (context.team || []).slice();
    }
    throw new Error("unknown variable " + name);
  }

  function scalar(value, valueKind, context) {
    var name = variableName(value);
    return name !== null ? variable(name, context) : valueKind.operand(value);
  }

  var OPERANDS = {
    none: function () { return null; },
    scalar: scalar,
    pair: function (value, valueKind, context) {
      var low = scalar(value[0], valueKind, context);
      var high = scalar(value[1], valueKind, context);
      return low === null || high === null ? null : [low, high];
    },
    list: function (value, valueKind, context) {
      var name = variableName(value);
      var items = name !== null ? variable(name, context) : value.map(function (item) {
        return scalar(item, valueKind, context);
      });
      return items.filter(function (item) { return item !== null && item !== undefined; });
    },
    period: function (value, valueKind, context) { return period(value, context); },
    lastDays: function (count, valueKind, context) {
      var day = today(context);
      return span(day - count, day, context);
    },
    nextDays: function (count, valueKind, context) {
      var day = today(context);
      return span(day, day + count, context);
    }
  };

  function comparison(test) {
    return {operand: "scalar", test: function (value, operand, valueKind) {
      return test(valueKind.compare(value, operand));
    }};
  }

  var OPERATORS = {
    eq: {operand: "scalar", test: function (value, operand, valueKind) { return valueKind.equal(value, operand); }},
    ne: {operand: "scalar", test: function (value, operand, valueKind) { return !valueKind.equal(value, operand); }},
    gt: comparison(function (order) { return order > 0; }),
    gte: comparison(function (order) { return order >= 0; }),
    lt: comparison(function (order) { return order < 0; }),
    lte: comparison(function (order) { return order <= 0; }),
    between: {operand: "pair", test: function (value, operand, valueKind) {
      return valueKind.compare(operand[0], value) <= 0 && valueKind.compare(value, operand[1]) <= 0;
    }},
    "in": {operand: "list", test: function (value, operand, valueKind) { return valueKind.isOneOf(value, operand); }},
    not_in: {operand: "list", test: function (value, operand, valueKind) { return !valueKind.isOneOf(value, operand); }},
    contains: {operand: "scalar", test: function (value, operand, valueKind) { return valueKind.contains(value, operand); }},
    starts_with: {operand: "scalar", test: function (value, operand, valueKind) { return valueKind.startsWith(value, operand); }},
    is_empty: {operand: "none", emptiness: true, test: function (value) { return value === null; }},
    is_not_empty: {operand: "none", emptiness: true, test: function (value) { return value !== null; }},
    date_is: {operand: "period", test: function (value, operand, valueKind) { return valueKind.inSpan(value, operand); }},
    within_last_days: {operand: "lastDays", test: function (value, operand, valueKind) { return valueKind.inSpan(value, operand); }},
    within_next_days: {operand: "nextDays", test: function (value, operand, valueKind) { return valueKind.inSpan(value, operand); }}
  };

  // --- the tree ---------------------------------------------------------------------------------

  function leaf(node, values, fields, context) {
    var field = fields[node.field];
    if (!field) {
      throw new Error("unknown field " + node.field);
    }
    var valueKind = KINDS[field.kind];
    var operator = OPERATORS[node.op];
    if (!valueKind || !operator) {
      throw new Error("unknown kind or operator in " + JSON.stringify(node));
    }
    var value = comparable(field, valueKind, values[node.field]);
    var operand = OPERANDS[operator.operand](node.value, valueKind, context);
    if (operator.emptiness) {
      return operator.test(value, operand, valueKind);
    }
    return value !== null && operand !== null && operand !== undefined && operator.test(value, operand, valueKind);
  }

  function evaluate(tree, values, fields, context) {
    context = context || {};
    if (tree === null || tree === undefined) {
      return true;
    }
    if (Object.prototype.hasOwnProperty.call(tree, "all")) {
      return tree.all.every(function (child) { return evaluate(child, values, fields, context); });
    }
    if (Object.prototype.hasOwnProperty.call(tree, "any")) {
      return tree.any.some(function (child) { return evaluate(child, values, fields, context); });
    }
    if (Object.prototype.hasOwnProperty.call(tree, "not")) {
      return !evaluate(tree.not, values, fields, context);
    }
    return leaf(tree, values, fields, context);
  }

  /** The keys of the fields a tree reads (to know which inputs to listen to). */
  function fieldKeys(tree, found) {
    found = found || [];
    if (!tree) {
      return found;
    }
    ["all", "any"].forEach(function (group) {
      (tree[group] || []).forEach(function (child) { fieldKeys(child, found); });
    });
    if (tree.not) {
      fieldKeys(tree.not, found);
    }
    if (tree.field && found.indexOf(tree.field) === -1) {
      found.push(tree.field);
    }
    return found;
  }

  return {evaluate: evaluate, fieldKeys: fieldKeys, localToUtc: localToUtc, periods: Object.keys(PERIODS),
          operators: Object.keys(OPERATORS)};
}));
