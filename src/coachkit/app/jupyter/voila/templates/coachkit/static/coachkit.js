// coachkit's page script (loaded in the head by index.html.j2). Voila pages run no code the
// kernel displays, so what the page itself must do lives here:
// - every 2 s it clicks the app's hidden heartbeat button; the kernel answers by changing the
//   button's text. With no answer for 10 s (kernel killed, server stopped or restarted) a
//   banner says so plainly, with the last save the status line showed, and the page stops
//   taking input; an answer that comes back after all hides it again;
// - leaving the page while the status shows unsaved changes asks first, and keeps Voila from
//   ending the kernel in case the seller stays (if they go, the kernel is ended after a short
//   grace period, and saves what is pending as it ends);
// - a file over the workbook limit is refused before it is sent (an upload is one websocket
//   message; a huge one would close the connection), with the words the kernel would use;
// - the address follows the open deal (?deal_id=, from the app's hidden .ck-url element), so
//   reload, back and bookmarks come back to it; back and forward reload the page they name.
(function () {
  "use strict";

  const PING_EVERY = 2000;
  const LOST_AFTER = 10000;

  let lastAnswer = null;
  let askedAt = null;
  let lost = false;

  function banner() {
    let el = document.getElementById("ck-connection-lost");
    if (!el) {
      el = document.createElement("div");
      el.id = "ck-connection-lost";
      el.setAttribute("role", "alert");
      el.hidden = true;
      document.body.prepend(el);
    }
    return el;
  }

  function setLost(value) {
    lost = value;
    const el = banner();
    if (lost) {
      const status = document.querySelector(".ck-status [data-last-saved]");
      const saved = status ? status.getAttribute("data-last-saved") : "";
      el.textContent = "The connection to the workbook was lost. " +
        (saved ? "Last saved: " + saved + ". " : "") +
        "Reload the page to go on; anything typed since then is not saved.";
    }
    el.hidden = !lost;
    document.body.classList.toggle("ck-lost", lost);
    const cells = document.getElementById("rendered_cells");
    if (cells) {
      cells.inert = lost;
    }
  }

  function heartbeat() {
    const beat = document.querySelector(".ck-heartbeat");
    if (!beat) {
      return; // the app is not on the page yet
    }
    const answer = beat.textContent;
    if (answer !== lastAnswer) {
      lastAnswer = answer;
      askedAt = null;
      if (lost) {
        setLost(false);
      }
    }
    const now = Date.now();
    if (askedAt === null) {
      askedAt = now;
      beat.click();
    } else if (!lost && now - askedAt > LOST_AFTER) {
      setLost(true);
    }
  }

  window.addEventListener("beforeunload", function (event) {
    if (lost || !document.querySelector(".ck-status-pending, .ck-status-error")) {
      return;
    }
    event.stopImmediatePropagation();
    event.preventDefault();
    event.returnValue = "";
  });

  function uploadMessage(text) {
    let el = document.querySelector(".ck-upload-refused");
    const upload = document.querySelector(".ck-upload");
    if (!el && text && upload) {
      el = document.createElement("div");
      el.className = "ck-upload-refused";
      el.setAttribute("role", "alert");
      upload.insertAdjacentElement("afterend", el);
    }
    if (el) {
      el.textContent = text;
    }
  }

  function refuseTooLarge(event) {
    const limitEl = document.querySelector("[data-ck-max-bytes]");
    const limit = limitEl ? Number(limitEl.getAttribute("data-ck-max-bytes")) : 0;
    const files = Array.from(event.target.files || []);
    const big = limit ? files.find(function (f) { return f.size > limit; }) : undefined;
    if (!big) {
      uploadMessage("");
      return;
    }
    event.stopImmediatePropagation();
    event.target.value = "";
    uploadMessage(big.name + ": file is " + (big.size / 1e6).toFixed(1) +
                  " MB; a workbook is at most " + limit / 1e6 + " MB");
  }

  // ipywidgets' upload button opens a file input that is never in the document, so a
  // document listener cannot see its change event: the check is put on the input itself,
  // as a capture listener, which runs before the widget's own listener.
  const click = HTMLInputElement.prototype.click;
  HTMLInputElement.prototype.click = function () {
    if (this.type === "file" && !this.ckChecked) {
      this.ckChecked = true;
      this.addEventListener("change", refuseTooLarge, true);
    }
    return click.apply(this, arguments);
  };

  // the token was traded for a cookie on the first visit: a bookmark must not carry it
  const DROPPED_PARAMS = ["scenario", "cohort", "participant", "token"];
  let addressDeal = new URLSearchParams(window.location.search).get("deal_id");

  function followDeal() {
    const el = document.querySelector(".ck-url [data-deal-id]");
    const id = el ? el.getAttribute("data-deal-id") : "";
    if (!id || id === addressDeal) {
      return;
    }
    const params = new URLSearchParams(window.location.search);
    DROPPED_PARAMS.forEach(function (name) { params.delete(name); });
    params.set("deal_id", id);
    window.history.pushState({ deal_id: id }, "",
      window.location.pathname + "?" + params.toString() + window.location.hash);
    addressDeal = id;
  }

  window.addEventListener("popstate", function () {
    if (new URLSearchParams(window.location.search).get("deal_id") !== addressDeal) {
      window.location.reload();
    }
  });

  new MutationObserver(followDeal).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-deal-id"],
  });

  setInterval(heartbeat, PING_EVERY);
})();
