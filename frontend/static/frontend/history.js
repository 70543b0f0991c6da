// History page: ask before deleting a job (its video and landmarks go with it).
"use strict";
(function () {
  document.querySelectorAll("form.delete-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      const question = slrweb.t(gettext("Delete “%(name)s” with its video and landmarks? This cannot be undone."), { name: form.dataset.name });
      if (!window.confirm(question)) event.preventDefault();
    });
  });
})();
