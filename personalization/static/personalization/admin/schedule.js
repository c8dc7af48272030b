/* Schedules: the time zone starts as the browser's own, so "Monday 9:00" means 9:00 where the
   marketer is; they can still pick another. Without this script the zone starts as UTC. */
"use strict";
(function () {
  function start() {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.querySelectorAll("[data-schedule][data-fresh] select[name=time_zone]").forEach((select) => {
      if (!zone) return;
      if ([...select.options].some((option) => option.value === zone) && select.value === "UTC") select.value = zone;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
