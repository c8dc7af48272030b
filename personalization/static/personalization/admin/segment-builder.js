/* The segment builder: edits a condition's JSON textarea as groups of attribute · operator · value
   rows. Progressive enhancement: without this script the textarea is the editor; with it, both
   views edit the same condition, and a condition the builder cannot show exactly stays in JSON.
   The server checks it as one types (problems by row, purposes, meaning, a sample visitor). */
"use strict";
(function () {
  const COMBINATORS = ["$and", "$or", "$nor"];
  const SIMPLE = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$regex"];
  const MODES = [
    ["and", "all"],
    ["or", "any"],
    ["nor", "none"],
  ];
  const OTHER = "__other__";
  const SLUG = "([a-z0-9][a-z0-9_-]{0,63})";
  let serial = 0;

  const { isObject } = window.TactfulAdmin;
  const isScalar = (v) => ["string", "number", "boolean"].includes(typeof v);

  function deepEqual(a, b) {
    if (a === b) return true;
    if (Array.isArray(a)) {
      return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
    }
    if (isObject(a) && isObject(b)) {
      const keys = Object.keys(a);
      return keys.length === Object.keys(b).length &&
        keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
    }
    return false;
  }

  class Unrepresentable extends Error {}

  const { el } = window.TactfulAdmin;

  class Builder {
    constructor(root) {
      this.root = root;
      this.textarea = document.getElementById(root.dataset.for);
      const data = JSON.parse(document.getElementById(root.dataset.catalogue).textContent);
      this.catalogue = data.catalogue;
      this.operators = data.operators;
      this.checkUrl = root.dataset.checkUrl;
      this.form = this.textarea.form;
      this.freeForm = this.form.querySelector("[name=allow_free_form]");
      this.sample = {};
      this.report = null;
      this.timer = null;
      this.mount();
      this.load(true);
    }

    // ---- the catalogue ----
    attribute(path) {
      const exact = this.catalogue.find((a) => a.path === path);
      if (exact) return { attribute: exact, fill: "" };
      for (const a of this.catalogue) {
        if (!a.path.includes("{value}")) continue;
        const [before, after] = a.path.split("{value}");
        const match = new RegExp("^" + escapeRe(before) + SLUG + escapeRe(after) + "$").exec(path);
        if (match) return { attribute: a, fill: match[1] };
      }
      return null;
    }

    typeOf(row) {
      const found = row.attr === OTHER || !row.attr ? null : this.catalogue.find((a) => a.path === row.attr);
      return found ? found.type : null;
    }

    // ---- JSON → tree ----
    parseObject(obj) {
      if (!isObject(obj)) throw new Unrepresentable("The condition must be a JSON object.");
      const keys = Object.keys(obj);
      if (keys.length === 1 && COMBINATORS.includes(keys[0])) {
        return this.group(keys[0].slice(1), true, this.parseList(obj[keys[0]]));
      }
      const children = keys.map((key) => {
        const value = obj[key];
        if (COMBINATORS.includes(key)) return this.group(key.slice(1), true, this.parseList(value));
        if (key === "$not") {
          if (!isObject(value)) throw new Unrepresentable('"$not" needs a condition object.');
          const inner = this.parseObject(value);
          return { type: "group", id: ++serial, mode: "not", explicit: true, children: inner.children };
        }
        if (key.startsWith("$")) throw new Unrepresentable(`"${key}" is not shown by the builder.`);
        return this.parseRow(key, value);
      });
      return this.group("and", false, children);
    }

    parseList(list) {
      if (!Array.isArray(list) || !list.every(isObject)) {
        throw new Unrepresentable("A group must be a list of condition objects.");
      }
      return list.map((item) => {
        const group = this.parseObject(item);
        const single = group.mode === "and" && !group.explicit && group.children.length === 1;
        return single && group.children[0].type === "row" ? group.children[0] : group;
      });
    }

    group(mode, explicit, children) {
      return { type: "group", id: ++serial, mode, explicit, children };
    }

    parseRow(path, value) {
      const found = this.attribute(path);
      const row = {
        type: "row",
        id: ++serial,
        attr: found ? found.attribute.path : OTHER,
        fill: found ? found.fill : "",
        other: found ? "" : path,
        code: "raw",
        value,
        literal: false,
        text: null,
      };
      const list = found && found.attribute.type === "list";
      if (!isObject(value)) {
        if (isScalar(value)) Object.assign(row, { code: "$eq", literal: true });
        return row;
      }
      const keys = Object.keys(value);
      if (keys.length !== 1) return row;
      const [op] = keys;
      const operand = value[op];
      const scalars = Array.isArray(operand) && operand.every(isScalar);
      if (SIMPLE.includes(op) && isScalar(operand)) Object.assign(row, { code: op, value: operand });
      else if ((op === "$in" || op === "$nin") && scalars) {
        Object.assign(row, { code: list ? `${op}:list` : op, value: operand });
      } else if (op === "$all" && scalars) Object.assign(row, { code: "$all", value: operand });
      else if (op === "$exists" && typeof operand === "boolean") {
        Object.assign(row, { code: `$exists:${operand}`, value: undefined });
      } else if (op === "$elemMatch" && isObject(operand) && deepEqual(Object.keys(operand), ["$eq"]) &&
        isScalar(operand.$eq)) {
        Object.assign(row, { code: "includes", value: operand.$eq });
      } else if (op === "$size" && operand === 0) Object.assign(row, { code: "empty", value: undefined });
      return row;
    }

    // ---- tree → JSON ----
    path(row) {
      if (row.attr === OTHER) return row.other.trim();
      return row.attr.replace("{value}", row.fill.trim());
    }

    rowValue(row) {
      const v = row.value;
      switch (row.code) {
        case "$eq": return row.literal ? v : { $eq: v };
        case "$in:list": return { $in: v };
        case "$nin:list": return { $nin: v };
        case "includes": return { $elemMatch: { $eq: v } };
        case "empty": return { $size: 0 };
        case "$exists:true": return { $exists: true };
        case "$exists:false": return { $exists: false };
        case "raw": return v;
        default: return { [row.code]: v };
      }
    }

    toObject(node) {
      if (node.type === "row") return { [this.path(node)]: this.rowValue(node) };
      return this.serialize(node);
    }

    merge(children) {
      const merged = {};
      for (const child of children) {
        for (const [key, value] of Object.entries(this.toObject(child))) {
          if (Object.prototype.hasOwnProperty.call(merged, key)) return null;
          merged[key] = value;
        }
      }
      return merged;
    }

    serialize(group) {
      if (group.mode === "not") return { $not: this.merge(group.children) || { $and: group.children.map((c) => this.toObject(c)) } };
      if (group.mode === "and" && !group.explicit) {
        const merged = this.merge(group.children);
        if (merged) return merged;
      }
      return { [`$${group.mode}`]: group.children.map((c) => this.toObject(c)) };
    }

    // ---- loading and views ----
    load(initial) {
      const text = this.textarea.value.trim();
      let parsed;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch (error) {
        this.showJson(`The JSON has an error (${error.message}); fix it here to use the builder.`);
        return false;
      }
      try {
        const tree = this.parseObject(parsed);
        if (!deepEqual(this.serialize(tree), parsed)) {
          throw new Unrepresentable("The builder cannot show this condition exactly.");
        }
        this.tree = tree;
      } catch (error) {
        if (!(error instanceof Unrepresentable)) throw error;
        this.showJson(`${error.message} Keep editing it as JSON.`);
        return false;
      }
      this.showBuilder(initial);
      return true;
    }

    showJson(message) {
      this.view = "json";
      this.textareaBox.hidden = false;
      this.treeBox.hidden = true;
      this.sampleBox.hidden = true;
      this.buttons.builder.setAttribute("aria-pressed", "false");
      this.buttons.json.setAttribute("aria-pressed", "true");
      this.notice.textContent = message || "";
      this.check();
    }

    showBuilder(initial) {
      this.view = "builder";
      this.textareaBox.hidden = true;
      this.treeBox.hidden = false;
      this.sampleBox.hidden = false;
      this.buttons.builder.setAttribute("aria-pressed", "true");
      this.buttons.json.setAttribute("aria-pressed", "false");
      this.notice.textContent = "";
      this.render();
      if (!initial) this.sync();
      else this.check();
    }

    sync() {
      const condition = this.serialize(this.tree);
      this.textarea.value = JSON.stringify(condition, null, 2);
      this.renderSample();
      this.scheduleCheck();
    }

    // ---- the page ----
    mount() {
      this.textareaBox = el("div", { class: "cb-json" });
      this.textarea.replaceWith(this.textareaBox);
      this.textareaBox.append(this.textarea);
      const label = document.querySelector(`label[for="${this.textarea.id}"]`);
      const name = label ? label.textContent.replace(/:$/, "") : "Condition";
      this.buttons = {
        builder: el("button", { type: "button", "aria-pressed": "true", text: "Builder", onclick: () => this.load(false) }),
        json: el("button", { type: "button", "aria-pressed": "false", text: "JSON", onclick: () => this.showJson("") }),
      };
      const toolbar = el("div", { class: "cb-toolbar", role: "group", "aria-label": `${name}: how to edit it` },
        el("span", { class: "cb-toolbar-label", text: "Edit with:", "aria-hidden": "true" }),
        this.buttons.builder, this.buttons.json);
      this.notice = el("p", { class: "cb-notice", role: "status" });
      this.treeBox = el("div", { class: "cb-tree" });
      this.summary = el("div", { class: "cb-summary", role: "status", "aria-live": "polite" });
      this.sampleBox = el("details", { class: "cb-sample" });
      this.root.prepend(toolbar, this.notice);
      this.root.append(this.treeBox, this.summary, this.sampleBox);
      this.textarea.addEventListener("input", () => this.scheduleCheck());
      if (this.freeForm) this.freeForm.addEventListener("change", () => this.check());
      this.form.addEventListener("submit", (event) => {
        const bad = this.treeBox.hidden ? null : this.treeBox.querySelector("[aria-invalid=true]");
        if (bad) {
          event.preventDefault();
          bad.focus();
        }
      });
    }

    render(focusId) {
      this.treeBox.replaceChildren(this.renderGroup(this.tree, true));
      this.renderSample();
      this.applyReport();
      if (focusId) {
        const target = document.getElementById(focusId);
        if (target) target.focus();
      }
    }

    renderGroup(group, isRoot) {
      const modeId = `cb-mode-${group.id}`;
      const list = el("ol", { class: "cb-items" });
      group.children.forEach((child, index) => {
        list.append(child.type === "row" ? this.renderRow(child, group, index) : el("li", { class: "cb-nested" }, this.renderGroup(child, false, group, index)));
      });
      const legend = el("legend", {}, group.mode === "not"
        ? el("span", { text: "Visitors who do not match all of these:" })
        : el("span", {},
          el("label", { for: modeId, text: isRoot ? "Visitors who match " : "Any visitor matching " }),
          el("select", { id: modeId, onchange: (e) => this.setMode(group, e.target.value) },
            MODES.map(([mode, label]) => el("option", { value: mode, selected: mode === group.mode, text: label }))),
          el("span", { text: " of these conditions" })));
      const addRow = el("button", { type: "button", class: "cb-add", id: `cb-add-${group.id}`, text: "Add a condition", onclick: () => this.addRow(group) });
      const addGroup = el("button", { type: "button", class: "cb-add", text: "Add a group", onclick: () => this.addGroup(group) });
      const box = el("fieldset", { class: isRoot ? "cb-group cb-root" : "cb-group" }, legend);
      if (!group.children.length) {
        box.append(el("p", { class: "cb-empty", text: isRoot ? "No condition: everyone is in this segment." : "An empty group matches everyone." }));
      }
      box.append(list, el("div", { class: "cb-actions" }, addRow, addGroup));
      if (!isRoot) {
        box.append(el("button", { type: "button", class: "cb-remove", text: "Remove this group", onclick: () => this.remove(group) }));
      }
      return box;
    }

    renderRow(row, parent, index) {
      const n = index + 1;
      const errorsId = `cb-errors-${row.id}`;
      // Visible labels are short; screen readers also hear which condition they belong to.
      const field = (label, control, extra) => el("div", { class: "cb-field" },
        el("label", { for: control.id }, label, el("span", { class: "visually-hidden", text: ` of condition ${n}` })),
        control, extra);
      const attrSelect = el("select", { id: `cb-attr-${row.id}`, "aria-describedby": errorsId,
        onchange: (e) => this.setAttribute(row, e.target.value) });
      const groups = new Map();
      for (const a of this.catalogue) {
        if (!groups.has(a.group)) groups.set(a.group, el("optgroup", { label: a.group }));
        groups.get(a.group).append(el("option", { value: a.path, selected: a.path === row.attr, text: a.label }));
      }
      attrSelect.prepend(el("option", { value: "", selected: row.attr === "", text: "Choose an attribute…" }));
      attrSelect.append(...groups.values(), el("option", { value: OTHER, selected: row.attr === OTHER, text: "Another attribute (type its name)…" }));
      const fields = [field("Attribute", attrSelect)];
      const attribute = this.catalogue.find((a) => a.path === row.attr);
      if (attribute && attribute.placeholder) {
        fields.push(field(attribute.placeholder[0].toUpperCase() + attribute.placeholder.slice(1),
          el("input", { id: `cb-fill-${row.id}`, value: row.fill, required: true, "aria-describedby": errorsId, autocomplete: "off",
            placeholder: "e.g. shoes", oninput: (e) => { row.fill = e.target.value; this.sync(); } })));
      }
      if (row.attr === OTHER) {
        fields.push(field("Attribute name", el("input", { id: `cb-other-${row.id}`, value: row.other, placeholder: "context.my_attribute",
          "aria-describedby": errorsId, autocomplete: "off", spellcheck: "false",
          oninput: (e) => { row.other = e.target.value; this.sync(); } })));
      }
      const type = this.typeOf(row);
      const offered = this.operators.filter((op) => type ? op.types.includes(type) : op.types.some((t) => t !== "list"));
      const opSelect = el("select", { id: `cb-op-${row.id}`, "aria-describedby": errorsId, onchange: (e) => this.setOperator(row, e.target.value) },
        offered.map((op) => el("option", { value: op.code, selected: op.code === row.code, text: op.label })));
      if (!offered.some((op) => op.code === row.code)) {
        opSelect.append(el("option", { value: row.code, selected: true, text: row.code === "raw" ? "matches (JSON)" : row.code }));
      }
      fields.push(field("Operator", opSelect));
      const value = this.valueControl(row, type, errorsId);
      if (value) fields.push(field(value.label, value.control, value.extra));
      const remove = el("button", { type: "button", class: "cb-remove", text: "Remove", "aria-label": `Remove condition ${n}`,
        onclick: () => this.remove(row, parent) });
      return el("li", { class: "cb-row", "data-path": this.path(row) },
        el("div", { class: "cb-fields" }, fields, remove),
        el("ul", { class: "cb-errors", id: errorsId }));
    }

    operand(row) {
      const op = this.operators.find((o) => o.code === row.code);
      return row.code === "raw" ? "raw" : op ? op.operand : "value";
    }

    valueControl(row, type, errorsId) {
      const kind = this.operand(row);
      const id = `cb-value-${row.id}`;
      const common = { id, "aria-describedby": errorsId, autocomplete: "off" };
      if (kind === "none") return null;
      if (kind === "raw") {
        return { label: "Value (JSON)", control: el("textarea", { ...common, rows: 2, spellcheck: "false",
          oninput: (e) => this.setRaw(row, e.target) }, JSON.stringify(row.value)) };
      }
      if (kind === "list") {
        const text = row.text !== null ? row.text : (row.value || []).join(", ");
        return { label: "Values, separated by commas", control: el("input", { ...common, value: text,
          oninput: (e) => { row.text = e.target.value; row.value = this.splitList(e.target.value, type); this.sync(); } }) };
      }
      if (type === "boolean") {
        return { label: "Value", control: el("select", { ...common, onchange: (e) => { row.value = e.target.value === "true"; this.sync(); } },
          el("option", { value: "true", selected: row.value === true, text: "yes" }),
          el("option", { value: "false", selected: row.value !== true, text: "no" })) };
      }
      const attribute = this.catalogue.find((a) => a.path === row.attr);
      const listId = attribute && attribute.values.length ? `cb-values-${row.id}` : null;
      const input = el("input", { ...common, value: row.text !== null ? row.text : (row.value === undefined ? "" : String(row.value)),
        inputmode: type === "number" ? "decimal" : null, list: listId,
        placeholder: attribute && attribute.example ? `e.g. ${attribute.example}` : null,
        oninput: (e) => { row.text = e.target.value; row.value = this.typed(e.target.value, type); this.sync(); } });
      const extra = listId ? el("datalist", { id: listId }, attribute.values.map((v) => el("option", { value: v }))) : null;
      return { label: row.code === "$regex" ? "Pattern" : "Value", control: input, extra };
    }

    typed(text, type) {
      if (type === "number" && text.trim() !== "" && Number.isFinite(Number(text))) return Number(text);
      return text;
    }

    splitList(text, type) {
      return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => this.typed(part, type));
    }

    setRaw(row, textarea) {
      try {
        row.value = JSON.parse(textarea.value);
        textarea.removeAttribute("aria-invalid");
        this.sync();
      } catch (error) {
        textarea.setAttribute("aria-invalid", "true");
        this.rowErrors(row, [`This is not valid JSON: ${error.message}`]);
      }
    }

    // ---- edits ----
    setMode(group, mode) {
      group.mode = mode;
      group.explicit = mode !== "and" || group !== this.tree;
      this.sync();
      this.render(`cb-mode-${group.id}`);
    }

    setAttribute(row, attr) {
      row.attr = attr;
      row.fill = "";
      const type = this.typeOf(row);
      const offered = this.operators.filter((op) => type ? op.types.includes(type) : op.types.some((t) => t !== "list"));
      if (!offered.some((op) => op.code === row.code)) this.setCode(row, offered[0].code);
      this.sync();
      this.render(`cb-attr-${row.id}`);
    }

    setOperator(row, code) {
      this.setCode(row, code);
      this.sync();
      this.render(`cb-op-${row.id}`);
    }

    setCode(row, code) {
      const before = this.operand(row);
      row.code = code;
      row.literal = code === "$eq";
      const after = this.operand(row);
      if (after === "none") row.value = undefined;
      else if (after === "list" && before !== "list") row.value = row.value === undefined || row.value === "" ? [] : [row.value];
      else if (after === "value" && before !== "value") row.value = Array.isArray(row.value) ? (row.value[0] ?? "") : "";
      row.text = null;
    }

    newRow() {
      return { type: "row", id: ++serial, attr: "", fill: "", other: "", code: "$eq", value: "", literal: true, text: null };
    }

    addRow(group) {
      const row = this.newRow();
      group.children.push(row);
      this.sync();
      this.render(`cb-attr-${row.id}`);
    }

    addGroup(group) {
      const inner = { type: "group", id: ++serial, mode: "or", explicit: true, children: [this.newRow()] };
      group.children.push(inner);
      this.sync();
      this.render(`cb-mode-${inner.id}`);
    }

    remove(node, parent) {
      const owner = parent || this.parentOf(node, this.tree);
      owner.children.splice(owner.children.indexOf(node), 1);
      this.sync();
      this.render(`cb-add-${owner.id}`);
    }

    parentOf(node, group) {
      for (const child of group.children) {
        if (child === node) return group;
        if (child.type === "group") {
          const found = this.parentOf(node, child);
          if (found) return found;
        }
      }
      return null;
    }

    // ---- the sample visitor ----
    paths() {
      const seen = new Set();
      const walk = (group) => group.children.forEach((c) => (c.type === "row" ? seen.add(this.path(c)) : walk(c)));
      if (this.tree) walk(this.tree);
      return [...seen].filter(Boolean);
    }

    renderSample() {
      const paths = this.paths();
      const rows = paths.map((p, i) => {
        const found = this.attribute(p);
        const label = found ? found.attribute.label.replace("…", found.fill) : p;
        const type = found ? found.attribute.type : null;
        const id = `cb-sample-${i}`;
        const value = this.sample[p] === undefined ? "" : this.sample[p];
        const control = type === "boolean"
          ? el("select", { id, onchange: (e) => this.setSample(p, e.target.value) },
            el("option", { value: "", selected: value === "", text: "(not sent)" }),
            el("option", { value: "true", selected: value === "true", text: "yes" }),
            el("option", { value: "false", selected: value === "false", text: "no" }))
          : el("input", { id, value, autocomplete: "off", placeholder: type === "list" ? "comma-separated" : "(not sent)",
            oninput: (e) => this.setSample(p, e.target.value) });
        return el("div", { class: "cb-field" }, el("label", { for: id, text: label }), control);
      });
      this.sampleBox.replaceChildren(
        el("summary", { text: "Try it on a sample visitor" }),
        rows.length ? el("div", { class: "cb-sample-fields" }, rows) : el("p", { text: "Add a condition to try it." }),
        el("p", { class: "cb-match", role: "status", "aria-live": "polite" }));
      this.applyMatch();
    }

    setSample(path, text) {
      this.sample[path] = text;
      this.scheduleCheck();
    }

    sampleAttributes() {
      const out = {};
      for (const [path, text] of Object.entries(this.sample)) {
        if (text === "" || !this.paths().includes(path)) continue;
        const found = this.attribute(path);
        const type = found ? found.attribute.type : null;
        let value = this.typed(text, type);
        if (type === "boolean") value = text === "true";
        if (type === "list") value = this.splitList(text, null);
        const parts = path.split(".");
        let node = out;
        parts.slice(0, -1).forEach((part) => { node = node[part] = isObject(node[part]) ? node[part] : {}; });
        node[parts[parts.length - 1]] = value;
      }
      return out;
    }

    // ---- the server's report ----
    scheduleCheck() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.check(), 250);
    }

    async check() {
      let condition;
      try {
        condition = this.view === "builder" ? this.serialize(this.tree) : JSON.parse(this.textarea.value.trim() || "{}");
      } catch (error) {
        this.report = { valid: false, problems: [`The JSON has an error: ${error.message}`], rows: {}, warnings: [], purposes: [], description: "", match: null };
        this.applyReport();
        return;
      }
      const token = this.form.querySelector("[name=csrfmiddlewaretoken]");
      const body = JSON.stringify({ condition, allow_free_form: !!(this.freeForm && this.freeForm.checked), sample: this.sampleAttributes() });
      try {
        const response = await fetch(this.checkUrl, { method: "POST", body, credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" } });
        if (!response.ok) return;
        this.report = await response.json();
      } catch (error) {
        return; // The server checks again on save; the editor keeps working offline.
      }
      this.applyReport();
    }

    rowErrors(row, messages) {
      const list = document.getElementById(`cb-errors-${row.id}`);
      if (!list) return;
      list.replaceChildren(...messages.map((m) => el("li", { text: m })));
      const item = list.closest(".cb-row");
      item.classList.toggle("cb-invalid", messages.length > 0);
      item.querySelectorAll(".cb-fields input, .cb-fields select").forEach((control) => {
        if (control.tagName === "SELECT" && control.id.startsWith("cb-op-")) return;
        if (messages.length) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      });
    }

    localErrors(row) {
      if (!this.path(row)) return [row.attr === OTHER ? "Type the attribute's name." : "Choose an attribute."];
      const attribute = this.catalogue.find((a) => a.path === row.attr);
      if (attribute && attribute.placeholder && !row.fill.trim()) return [`Enter the ${attribute.placeholder}.`];
      const kind = this.operand(row);
      if (kind === "value" && (row.value === "" || row.value === undefined)) return ["Enter a value."];
      if (kind === "list" && !(row.value || []).length) return ["Enter at least one value."];
      if (this.typeOf(row) === "number" && kind !== "none" && [].concat(row.value).some((v) => typeof v !== "number")) {
        return ["Enter a number, e.g. 3."];
      }
      return [];
    }

    applyReport() {
      const report = this.report;
      if (!report) return;
      const walk = (group) => group.children.forEach((child) => {
        if (child.type === "group") return walk(child);
        const raw = document.getElementById(`cb-value-${child.id}`);
        if (raw && raw.tagName === "TEXTAREA" && raw.getAttribute("aria-invalid") === "true") return;
        const local = this.localErrors(child);
        this.rowErrors(child, local.length ? local : report.rows[this.path(child)] || []);
      });
      if (this.tree && this.view === "builder") walk(this.tree);
      const lines = [];
      const orphan = this.view === "json" ? Object.values(report.rows).flat() : [];
      for (const problem of [...report.problems, ...orphan]) lines.push(el("li", { class: "cb-problem", text: problem }));
      for (const warning of report.warnings) lines.push(el("li", { class: "cb-warning", text: `Warning: ${warning}` }));
      const needs = report.purposes.length ? `Needs consent for: ${report.purposes.join(", ")}.` : "Needs no consent (context only).";
      this.summary.replaceChildren(...[
        report.valid ? el("p", {}, el("strong", { text: "Who: " }), report.description) : null,
        report.valid ? el("p", { class: "cb-purposes", text: needs }) : null,
        lines.length ? el("ul", { class: "cb-messages" }, lines) : null,
      ].filter(Boolean));
      this.applyMatch();
    }

    applyMatch() {
      const target = this.sampleBox.querySelector(".cb-match");
      if (!target || !this.report) return;
      const match = this.report.match;
      target.textContent = match === null ? "" : match ? "This sample visitor is in the segment." : "This sample visitor is not in the segment.";
      target.className = `cb-match ${match === null ? "" : match ? "cb-yes" : "cb-no"}`;
    }
  }

  function escapeRe(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function start() {
    document.querySelectorAll("[data-condition-editor]").forEach((root) => new Builder(root));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
