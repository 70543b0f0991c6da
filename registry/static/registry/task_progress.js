// Progress of a registry task (registry.admin_tasks.task_page): polls the task's status
// JSON until it ends, then reloads the page, which shows the outcome and the next steps.
(function () {
  "use strict";
  var box = document.getElementById("registry-task");
  if (!box || box.dataset.finished === "true") { return; }
  var bar = document.getElementById("registry-task-progress");
  var stage = document.getElementById("registry-task-stage");
  var percent = document.getElementById("registry-task-percent");
  var delay = 1000;

  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (task) {
        bar.value = task.percent;
        percent.textContent = task.percent + "%";
        stage.textContent = task.stage || task.status;
        box.dataset.status = task.status;
        if (task.finished) { window.location.reload(); return; }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);  // the server restarts: try again, less often
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
