/* Placement values as a marketer thinks of them: text, a number, an on/off switch, or the fields
   of the placement's JSON Schema, with a storefront preview when the placement declares a
   template. Progressive enhancement: each editor writes into its textarea, which is what the
   form posts and what "Edit as text" shows; without this script the textarea is the editor.
   Also keeps every rule's variant list in step with the variants, saved or not. */
"use strict";
(function () {
  const { isObject } = window.TactfulAdmin;

  const { el } = window.TactfulAdmin;

  const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  const humanize = (name) => {
    const words = name.replace(/[_-]+/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  };

  function placementType() {
    const select = document.getElementById("id_value_type");
    return select ? select.value : "";
  }

  function schema() {
    const field = document.getElementById("id_value_schema");
    if (!field || !field.value.trim()) return null;
    try {
      const parsed = JSON.parse(field.value);
      return isObject(parsed) ? parsed : null;
    } catch (error) {
      return null;
    }
  }

  function template() {
    const field = document.getElementById("id_preview_template");
    return field ? field.value : "";
  }

  // The properties the form can show (text, numbers, yes/no, choices), or null: then JSON.
  function formProperties(spec) {
    if (!spec || spec.type !== "object" || !isObject(spec.properties)) return null;
    const entries = Object.entries(spec.properties);
    const simple = (p) => isObject(p) && (Array.isArray(p.enum) || ["string", "number", "integer", "boolean"].includes(p.type));
    return entries.length && entries.every(([, p]) => simple(p)) ? entries : null;
  }

  function labelFor(textarea, label) {
    const base = label ? label.textContent.replace(/:\s*$/, "").trim() : "Value";
    const block = textarea.closest(".inline-related");
    const heading = block ? block.querySelector("h3 .inline_label") : null;
    return heading ? `${base} of variant ${heading.textContent.trim()}` : base;
  }

  class ValueEditor {
    constructor(textarea) {
      this.textarea = textarea;
      this.box = el("div", { class: "ve-editor" });
      this.toggle = el("button", { type: "button", class: "ws-button", "aria-pressed": "false", text: "Edit as text",
        onclick: () => this.setRaw(this.toggle.getAttribute("aria-pressed") !== "true") });
      this.frame = null;
      this.timer = null;
      this.label = document.querySelector(`label[for="${textarea.id}"]`);
      textarea.before(this.toggle, this.box);
      textarea.addEventListener("input", () => this.previewSoon());
      this.render();
    }

    setRaw(raw) {
      this.toggle.setAttribute("aria-pressed", raw ? "true" : "false");
      this.toggle.textContent = raw ? "Edit with the form" : "Edit as text";
      if (!raw) this.render();
      else {
        this.box.hidden = true;
        this.textarea.hidden = false;
        this.point(this.textarea);
        this.textarea.focus();
      }
    }

    // The field's label names whichever control is in use.
    point(control) {
      if (this.label) this.label.htmlFor = control.id;
    }

    write(text) {
      this.textarea.value = text;
      this.previewSoon();
    }

    render() {
      const type = placementType();
      const name = labelFor(this.textarea, this.label);
      const text = this.textarea.value;
      const idBase = `${this.textarea.id}-editor`;
      let body = null;
      if (type === "string") {
        body = el("input", { id: idBase, value: text, autocomplete: "off", oninput: (e) => this.write(e.target.value) });
      } else if (type === "number") {
        body = el("input", { id: idBase, value: text.trim(), inputmode: "decimal", autocomplete: "off",
          oninput: (e) => this.write(e.target.value) });
      } else if (type === "boolean") {
        const on = text.trim() === "true";
        body = el("label", { class: "ve-switch" },
          el("input", { type: "checkbox", role: "switch", id: idBase, checked: on,
            onchange: (e) => this.write(e.target.checked ? "true" : "false") }),
          el("span", { "aria-hidden": "true", text: " On" }));
      } else if (type === "json") {
        body = this.schemaForm(name, idBase);
      }
      if (!body) {
        this.box.hidden = true;
        this.toggle.hidden = true;
        this.textarea.hidden = false;
        this.point(this.textarea);
      } else {
        const single = body.matches("input") ? body : body.querySelector("input[role=switch]");
        this.point(single || this.textarea);
        this.box.replaceChildren(body);
        this.box.hidden = false;
        this.toggle.hidden = false;
        this.textarea.hidden = true;
        this.toggle.setAttribute("aria-pressed", "false");
        this.toggle.textContent = "Edit as text";
      }
      this.previewSoon();
    }

    schemaForm(name, idBase) {
      const spec = schema();
      const properties = formProperties(spec);
      if (!properties) return null;
      let value;
      try {
        value = this.textarea.value.trim() ? JSON.parse(this.textarea.value) : {};
      } catch (error) {
        return null;
      }
      if (!isObject(value)) return null;
      const required = new Set(spec.required || []);
      const current = { ...value };
      const update = () => this.write(JSON.stringify(current, null, 2));
      const fields = properties.map(([key, prop], index) => {
        const id = `${idBase}-${index}`;
        const title = prop.title || humanize(key);
        const helpId = prop.description ? `${id}-help` : null;
        const set = (v) => {
          if (v === "" && !required.has(key)) delete current[key];
          else current[key] = v;
          update();
        };
        let control;
        if (Array.isArray(prop.enum)) {
          control = el("select", { id, "aria-describedby": helpId, onchange: (e) => set(prop.enum[Number(e.target.value)] ?? "") },
            el("option", { value: "", selected: !prop.enum.includes(current[key]), text: required.has(key) ? "Choose…" : "—" }),
            prop.enum.map((option, i) => el("option", { value: String(i), selected: current[key] === option, text: String(option) })));
        } else if (prop.type === "boolean") {
          control = el("input", { type: "checkbox", id, checked: current[key] === true, "aria-describedby": helpId,
            onchange: (e) => set(e.target.checked) });
        } else if (prop.type === "number" || prop.type === "integer") {
          control = el("input", { id, inputmode: "decimal", value: current[key] === undefined ? "" : String(current[key]),
            "aria-describedby": helpId, autocomplete: "off",
            oninput: (e) => set(e.target.value.trim() === "" ? "" : Number.isFinite(Number(e.target.value)) ? Number(e.target.value) : e.target.value) });
        } else {
          control = el("input", { id, value: current[key] === undefined ? "" : String(current[key]), "aria-describedby": helpId,
            autocomplete: "off", required: required.has(key), oninput: (e) => set(e.target.value) });
        }
        return el("div", { class: "ve-field" },
          el("label", { for: id }, title, required.has(key) ? el("span", { class: "ve-required", text: " (required)" }) : null,
            el("span", { class: "visually-hidden", text: `, ${name}` })),
          control,
          helpId ? el("div", { class: "help", id: helpId, text: prop.description }) : null);
      });
      return el("div", { class: "ve-fields", role: "group", "aria-label": name }, fields);
    }

    previewSoon() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.preview(), 300);
    }

    async preview() {
      const source = template();
      const url = document.getElementById("placement-render-url");
      if (!source.trim() || !url || !this.textarea.value.trim()) {
        if (this.frame) this.frame.hidden = true;
        return;
      }
      const token = this.textarea.form.querySelector("[name=csrfmiddlewaretoken]");
      let html;
      try {
        const response = await fetch(url.dataset.url, { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
          body: JSON.stringify({ template: source, value_type: placementType(), text: this.textarea.value }) });
        const body = await response.json();
        html = response.ok ? body.html : `<p>The value can't be shown yet: ${escapeHtml(body.error || "")}</p>`;
      } catch (error) {
        return;
      }
      if (!this.frame) {
        // No allow-scripts, no allow-same-origin: the preview can show, never act.
        this.frame = el("iframe", { class: "ws-preview-frame", sandbox: "", title: `Storefront preview: ${labelFor(this.textarea, this.label)}` });
        this.textarea.parentElement.append(this.frame);
      }
      this.frame.hidden = false;
      this.frame.srcdoc = html;
    }
  }

  // ---- rules pick variants by key, including variants added in this same save ----
  function variantKeys() {
    const keys = [];
    document.querySelectorAll('input[name^="variants-"][name$="-key"]').forEach((input) => {
      if (input.name.includes("__prefix__") || !input.value.trim()) return;
      const remove = document.querySelector(`input[name="${input.name.replace(/-key$/, "-DELETE")}"]`);
      if (remove && remove.checked) return;
      keys.push(input.value.trim());
    });
    return keys;
  }

  const renamed = new Map();

  function syncRules() {
    const keys = variantKeys();
    document.querySelectorAll("select[data-variant-select]").forEach((select) => {
      let chosen = select.value;
      if (renamed.has(chosen)) chosen = renamed.get(chosen);
      select.replaceChildren(el("option", { value: "", text: "—" }),
        ...keys.map((key) => el("option", { value: key, selected: key === chosen, text: key })));
      if (chosen && !keys.includes(chosen)) {
        select.append(el("option", { value: chosen, selected: true, text: `${chosen} (removed)` }));
      }
    });
    renamed.clear();
  }

  const editors = new Map();

  function attach(scope) {
    scope.querySelectorAll("textarea[data-value-editor]").forEach((textarea) => {
      if (textarea.name.includes("__prefix__") || editors.has(textarea)) return;
      editors.set(textarea, new ValueEditor(textarea));
    });
  }

  function start() {
    attach(document);
    const rerender = () => editors.forEach((editor) => editor.render());
    ["id_value_type", "id_value_schema"].forEach((id) => {
      const field = document.getElementById(id);
      if (field) field.addEventListener("change", rerender);
    });
    const templateField = document.getElementById("id_preview_template");
    if (templateField) templateField.addEventListener("input", () => editors.forEach((editor) => editor.previewSoon()));
    document.addEventListener("focusin", (event) => {
      const input = event.target;
      if (input.name && /^variants-\d+-key$/.test(input.name)) input.dataset.previous = input.value.trim();
    });
    document.addEventListener("input", (event) => {
      const input = event.target;
      if (!input.name || !/^variants-\d+-key$/.test(input.name)) return;
      const previous = input.dataset.previous;
      if (previous && previous !== input.value.trim()) renamed.set(previous, input.value.trim());
      input.dataset.previous = input.value.trim();
      syncRules();
    });
    document.addEventListener("change", (event) => {
      if (event.target.name && /^variants-\d+-DELETE$/.test(event.target.name)) syncRules();
    });
    document.addEventListener("formset:added", (event) => {
      attach(event.target);
      syncRules();
    });
    document.addEventListener("formset:removed", syncRules);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
