/* The experiment form: arms offer only the chosen placement's variants, and the weights' sum is
   shown as one types (the server refuses any sum but 100 %). */
"use strict";
(function () {
  function placementKey() {
    const select = document.getElementById("id_placement");
    const option = select && select.selectedOptions[0];
    return option && option.value ? option.textContent.trim() : "";
  }

  function filterVariants() {
    const key = placementKey();
    document.querySelectorAll('select[name^="arms-"][name$="-variant"]').forEach((select) => {
      for (const option of select.options) {
        if (!option.value) continue;
        const mine = !key || option.textContent.startsWith(`${key}: `);
        option.hidden = !mine;
        option.disabled = !mine;
      }
      if (select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = "";
    });
  }

  function showSum() {
    let total = 0;
    document.querySelectorAll('input[name^="arms-"][name$="-weight_percent"]').forEach((input) => {
      if (input.name.includes("__prefix__")) return;
      const remove = document.querySelector(`input[name="${input.name.replace(/-weight_percent$/, "-DELETE")}"]`);
      if (remove && remove.checked) return;
      const value = Number(input.value);
      if (Number.isFinite(value)) total += value;
    });
    const status = document.getElementById("arms-sum");
    if (!status) return;
    const rounded = Math.round(total * 100) / 100;
    status.textContent = rounded === 100 ? "The weights add up to 100 %." : `The weights add up to ${rounded} %; they must add up to 100 %.`;
    status.classList.toggle("ws-warning", rounded !== 100);
  }

  function start() {
    const group = document.getElementById("arms-group");
    if (!group) return;
    group.querySelector("fieldset.module").append(Object.assign(document.createElement("p"), { id: "arms-sum", role: "status" }));
    const placement = document.getElementById("id_placement");
    if (placement) placement.addEventListener("change", filterVariants);
    document.addEventListener("input", (event) => { if (/^arms-\d+-weight_percent$/.test(event.target.name || "")) showSum(); });
    document.addEventListener("change", (event) => { if (/^arms-\d+-DELETE$/.test(event.target.name || "")) showSum(); });
    document.addEventListener("formset:added", () => { filterVariants(); showSum(); });
    document.addEventListener("formset:removed", showSum);
    filterVariants();
    showSum();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
