// The demo page: clicks, forms and typed commands go to the demo server,
// which sends them to alignbot through the fake Slack; the server pushes a
// note on every change and the page fetches its parts again.
(() => {
  const body = document.body;
  const state = { as: body.dataset.as, c: body.dataset.c, thread: body.dataset.thread, msg: body.dataset.msg };
  const token = document.querySelector('meta[name="demo-token"]').content;
  const $ = (id) => document.getElementById(id);

  function toast(text, bad) {
    const t = $("toast");
    t.textContent = text;
    t.className = bad ? "show bad" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ""; }, bad ? 8000 : 3000);
  }

  async function post(path, data) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Demo-Token": token },
      body: JSON.stringify(Object.assign({ as: state.as, c: state.c }, data)),
    });
    let out = {};
    try { out = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      toast(out.error || ("The demo answered " + res.status), true);
      return null;
    }
    return out;
  }

  // Refresh: one fetch at a time, and one more if something changed
  // meanwhile.
  let fetching = false, again = false;
  async function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      const q = new URLSearchParams({ as: state.as, c: state.c });
      if (state.thread) q.set("thread", state.thread);
      const res = await fetch("/part?" + q.toString());
      if (res.ok) apply(await res.json());
    } catch (e) { /* the server went away; the next event retries */ }
    fetching = false;
    if (again) { again = false; refresh(); }
  }

  // A part is replaced only when what it shows changed (its hash): one
  // replaced under the pointer would swallow a click.
  function swap(id, html, hashes) {
    const el = $(id);
    const h = hashes && hashes[id];
    if (el && el.dataset.hash !== h) {
      el.innerHTML = html;
      el.dataset.hash = h;
      return true;
    }
    return false;
  }

  function apply(p) {
    const tl = $("timeline");
    const atBottom = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 80;
    const h = p.hashes;
    swap("clock", p.clock, h);
    swap("sidebar", p.sidebar, h);
    swap("header", p.header, h);
    swap("guide", p.guide, h);
    if (swap("timeline", p.timeline, h) && atBottom) tl.scrollTop = tl.scrollHeight;
    swap("thread", p.thread, h);
    document.querySelector(".app").classList.toggle("with-thread", !!p.thread);
    const modal = $("modal");
    if (modal.dataset.key !== p.modal_key) {
      modal.innerHTML = p.modal;
      modal.dataset.key = p.modal_key;
      const first = modal.querySelector("input, textarea, select");
      if (first) first.focus();
    }
  }

  function init() {
    const tl = $("timeline");
    const target = state.msg && document.getElementById("m" + state.msg.replace(".", ""));
    if (target) target.scrollIntoView({ block: "center" });
    else tl.scrollTop = tl.scrollHeight;
    const events = new EventSource("/events?as=" + encodeURIComponent(state.as));
    events.onmessage = refresh;
    // The clock runs on while nothing happens.
    setInterval(refresh, 30000);
  }

  // A button with a confirm dialog asks first, as Slack does.
  function confirmFirst(btn) {
    const tpl = btn.parentElement && btn.parentElement.querySelector("template.bk-confirm");
    if (!tpl) return Promise.resolve(true);
    return new Promise((resolve) => {
      const box = $("confirm");
      box.innerHTML = '<div class="backdrop"><div class="modal confirm"></div></div>';
      box.querySelector(".confirm").appendChild(tpl.content.cloneNode(true));
      box.onclick = (e) => {
        if (e.target.closest("[data-ok]")) { box.innerHTML = ""; resolve(true); }
        else if (e.target.closest("[data-deny]") || e.target.classList.contains("backdrop")) { box.innerHTML = ""; resolve(false); }
      };
    });
  }

  document.addEventListener("click", async (e) => {
    const btn = e.target.closest("button[data-act]");
    if (btn) {
      e.preventDefault();
      if (!(await confirmFirst(btn))) return;
      if (btn.dataset.url) window.open(btn.dataset.url, "_blank", "noopener");
      btn.classList.add("pressed");
      const ok = await post("/act", { ch: btn.dataset.ch, ts: btn.dataset.ts, view: btn.dataset.view, block: btn.dataset.block, action: btn.dataset.action });
      btn.classList.remove("pressed");
      if (ok) refresh();
      return;
    }
    const jump = e.target.closest("button[data-jump]");
    if (jump) {
      jump.disabled = true;
      toast("Moving the clock…");
      const out = await post("/clock", { jump: jump.dataset.jump });
      if (out) toast("The clock moved on.");
      refresh();
      return;
    }
    const close = e.target.closest("[data-close]");
    if (close) {
      const form = close.closest("form.modal");
      await post("/close", { view: form.dataset.view });
      refresh();
    }
  });

  // A modal's values, block_id → action_id → value, as Slack's client
  // would submit them.
  function values(form) {
    const out = {};
    const put = (el, v) => {
      const b = el.dataset.block, a = el.dataset.action;
      (out[b] = out[b] || {})[a] = v;
    };
    form.querySelectorAll("[data-kind]").forEach((el) => {
      if (!el.dataset.block) return;
      if (el.dataset.kind === "select") {
        put(el, Array.from(el.selectedOptions).map((o) => o.value).filter(Boolean).join(","));
      } else if (el.dataset.kind === "radio" || el.dataset.kind === "checkbox") {
        put(el, Array.from(el.querySelectorAll("input:checked")).map((i) => i.value).join(","));
      } else {
        put(el, el.value);
      }
    });
    return out;
  }

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    e.preventDefault();
    if (form.id === "composer") {
      const box = form.elements.text;
      const text = box.value.trim();
      if (!text) return;
      const ok = await post("/command", { text });
      if (ok) { box.value = ""; refresh(); }
      return;
    }
    if (form.matches("form.modal")) {
      form.querySelectorAll(".bk-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
      const out = await post("/submit", { view: form.dataset.view, values: values(form) });
      if (out && out.errors) {
        for (const [block, msg] of Object.entries(out.errors)) {
          const el = form.querySelector('.bk-input[data-block="' + CSS.escape(block) + '"] .bk-error');
          if (el) { el.textContent = msg; el.hidden = false; }
        }
        return;
      }
      refresh();
      return;
    }
    if (form.matches("form[data-play]")) {
      const ok = await post("/play", { pattern: form.elements.pattern.value });
      if (ok) toast("The demo is answering for the others…");
      refresh();
    }
  });

  document.addEventListener("keydown", (e) => {
    if (e.target.matches("#composer textarea") && e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      e.target.form.requestSubmit();
    }
    if (e.key === "Escape" && $("confirm").innerHTML) $("confirm").innerHTML = "";
  });

  init();
})();
