// Shows the times of a page in the viewer's own time zone, naming the zone,
// in the page's language. Without this script the server's text stays: the
// time in UTC, with "UTC" written after it.
(function () {
  "use strict";
  function localise() {
    var lang = document.documentElement.lang || "en";
    var full, date;
    try {
      // dateStyle/timeStyle cannot name the zone: the parts are spelt out.
      full = new Intl.DateTimeFormat(lang, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
      date = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric" });
    } catch (e) {
      return;
    }
    var els = document.querySelectorAll("time[data-local]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var t = new Date(el.getAttribute("datetime"));
      if (isNaN(t.getTime())) continue;
      el.title = el.textContent;
      el.textContent = (el.getAttribute("data-local") === "date" ? date : full).format(t);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
