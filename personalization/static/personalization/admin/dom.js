/* What the workspace's admin scripts share: building DOM nodes, loaded before each of them. */
"use strict";
window.TactfulAdmin = window.TactfulAdmin || {
  isObject: (v) => v !== null && typeof v === "object" && !Array.isArray(v),

  /* el("button", {type: "button", text: "Add", onclick: f}, child, …): attributes that are null,
     undefined or false are left out; on* attributes become listeners. */
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  },
};
