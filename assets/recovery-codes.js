// Copy, Download and Print for the recovery codes shown after a first
// token is registered. The buttons are hidden in the page and shown here,
// so a browser without script is offered none. The download is built in
// the browser from the codes on the page: nothing is fetched again.
(function () {
  "use strict";
  function setup() {
    var tools = document.querySelector(".recovery-tools");
    if (!tools) return;
    var list = document.getElementById(tools.getAttribute("data-codes"));
    if (!list) return;
    var status = tools.querySelector(".recovery-status");
    function codes() {
      var out = [];
      var els = list.querySelectorAll("code");
      for (var i = 0; i < els.length; i++) out.push(els[i].textContent.trim());
      return out;
    }
    function text() {
      return tools.getAttribute("data-heading") + "\n\n" + codes().join("\n") + "\n";
    }
    function say(msg) {
      if (status) status.textContent = msg;
    }
    var actions = {
      copy: function () {
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(codes().join("\n")).then(function () {
            say(tools.getAttribute("data-copied"));
          });
        }
      },
      download: function () {
        var blob = new Blob([text()], { type: "text/plain;charset=utf-8" });
        var url = URL.createObjectURL(blob);
        var a = document.createElement("a");
        a.href = url;
        a.download = tools.getAttribute("data-filename") || "recovery-codes.txt";
        document.body.appendChild(a);
        a.click();
        document.body.removeChild(a);
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      },
      print: function () {
        window.print();
      }
    };
    var buttons = tools.querySelectorAll("button[data-recovery]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      var act = actions[b.getAttribute("data-recovery")];
      if (b.getAttribute("data-recovery") === "copy" && !(navigator.clipboard && navigator.clipboard.writeText)) {
        b.hidden = true;
        continue;
      }
      b.addEventListener("click", act);
    }
    tools.hidden = false;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
