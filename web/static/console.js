// Live progress of a job page: poll /api/jobs/<id> every second while it is queued or running, then reload
// to show the result. No other script runs in the console.
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var id = box.getAttribute("data-job");
  var names = {queued: "排队中", running: "进行中", done: "已完成", failed: "失败"};
  var classes = {done: "ok", failed: "bad", running: "warn", queued: "na"};
  function poll() {
    fetch("/api/jobs/" + encodeURIComponent(id), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 3000); return; }
        var st = document.getElementById("job-status");
        st.textContent = "";
        var span = document.createElement("span");
        span.className = "status status-" + (classes[job.status] || "na");
        span.textContent = names[job.status] || job.status;
        st.appendChild(span);
        document.getElementById("job-phase").textContent = (job.progress && job.progress.phase) || "";
        var sites = (job.progress && job.progress.sites) || {};
        Object.keys(sites).forEach(function (sid) {
          var row = document.querySelector('tr[data-site="' + CSS.escape(sid) + '"]');
          if (!row) return;
          row.querySelector(".st").textContent = sites[sid].state || "";
          row.querySelector(".pages").textContent = String(sites[sid].pages || 0);
        });
        if (job.status === "done" || job.status === "failed") {
          if (box.getAttribute("data-status") !== job.status) window.location.replace(window.location.pathname);
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.getAttribute("data-status") === "queued" || box.getAttribute("data-status") === "running") poll();
})();
