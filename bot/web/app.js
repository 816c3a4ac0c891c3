// The web chat client. Every text from the server or the user is put on the page with
// textContent, never innerHTML, so nothing a user types can run as script.
"use strict";

(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const fileInput = document.getElementById("file");
  const sendButton = document.getElementById("send");
  const counter = document.getElementById("counter");
  const status = document.getElementById("status");
  // The page's labels, in the chat's language; a poll brings a new set when the chat switches.
  let L = JSON.parse(document.getElementById("labels").textContent);
  // The engine's limit on one message, served as the box's maxlength.
  const max = input.maxLength;
  let last = 0;
  // The latest row of buttons not yet answered: the question a typed answer answers.
  let current = null;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  function applyLabels(next) {
    L = next;
    document.documentElement.lang = L.lang === "en" ? "en" : "zh-CN";
    document.title = L.title;
    document.getElementById("title").textContent = L.title;
    document.getElementById("subtitle").textContent = L.subtitle;
    document.getElementById("attach").title = L.attach;
    input.placeholder = L.placeholder;
    sendButton.textContent = L.send;
    for (const b of log.querySelectorAll("button.saved")) b.textContent = L.codeSaved;
    updateCounter();
  }

  function updateCounter() {
    const n = input.value.length;
    counter.textContent = L.counter.replace("{n}", n);
    counter.classList.toggle("near", n >= max * 0.9);
    counter.classList.toggle("full", n >= max);
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    scroll();
    return div;
  }

  // answered disables a row of buttons once it was answered, by a press (chosen) or by a typed
  // answer, and marks the button chosen.
  function answered(box, chosen) {
    if (!box || box.classList.contains("answered")) return;
    box.classList.add("answered");
    for (const x of box.querySelectorAll("button")) x.disabled = true;
    if (chosen) {
      chosen.classList.add("chosen");
      chosen.setAttribute("aria-pressed", "true");
    }
    if (current === box) current = null;
  }

  // unanswered gives a row back when its press was turned away.
  function unanswered(box) {
    box.classList.remove("answered");
    for (const x of box.querySelectorAll("button")) {
      x.disabled = false;
      x.classList.remove("chosen");
      x.removeAttribute("aria-pressed");
    }
    current = box;
  }

  function buttons(rows) {
    const box = document.createElement("div");
    box.className = "buttons";
    for (const row of rows) {
      const r = document.createElement("div");
      r.className = "row";
      for (const b of row) {
        const el = document.createElement("button");
        el.type = "button";
        el.textContent = b.text;
        el.addEventListener("click", () => {
          answered(box, el);
          const me = bubble(b.text, "me");
          send({ text: "", data: b.data }, me, box);
        });
        r.appendChild(el);
      }
      box.appendChild(r);
    }
    log.appendChild(box);
    current = box;
    scroll();
  }

  // notSent marks a bubble as not sent and, for typed text, puts the text back in the box
  // unless something new was typed there meanwhile.
  function notSent(me, text, box) {
    if (me && !me.classList.contains("refused")) {
      me.classList.add("refused");
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = L.notSent;
      me.appendChild(tag);
    }
    if (text && !input.value.trim()) {
      input.value = text;
      updateCounter();
      input.focus();
    }
    if (box) unanswered(box);
  }

  // Sends with a client id; a network failure retries with the same id, which the server
  // deduplicates, so a retry never files anything twice. A message the engine turned away
  // unrecorded (too long, too fast) goes back to the box.
  async function send(body, me, box, attempt) {
    attempt = attempt || 0;
    body.id = body.id || newId();
    try {
      const res = await fetch("/api/send", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const answer = await res.json();
      status.textContent = answer.ok ? "" : answer.error;
      if (!answer.ok || answer.refused) notSent(me, body.text, box);
    } catch (e) {
      if (attempt < 5) {
        status.textContent = L.retrying;
        setTimeout(() => send(body, me, box, attempt + 1), 1000 * (attempt + 1));
        return;
      }
      status.textContent = L.sendFail;
      notSent(me, body.text, box);
    }
  }

  async function upload(file) {
    const id = newId();
    const fd = new FormData();
    fd.append("file", file, file.name);
    const me = bubble("📎 " + file.name, "me");
    try {
      const res = await fetch("/api/upload?id=" + encodeURIComponent(id), { method: "POST", body: fd, credentials: "same-origin" });
      const answer = await res.json();
      status.textContent = answer.ok ? "" : answer.error;
      if (!answer.ok || answer.refused) notSent(me, "", null);
    } catch (e) {
      status.textContent = L.uploadFail;
      notSent(me, "", null);
    }
  }

  function composer(on) {
    input.disabled = !on;
    sendButton.disabled = !on;
    fileInput.disabled = !on;
  }

  async function copy(text, digits, button) {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch (e) { /* fall back to a selection */ }
    if (!ok) {
      // Plain HTTP has no clipboard API: select the digits and copy the selection.
      const range = document.createRange();
      range.selectNodeContents(digits);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    }
    button.textContent = ok ? "✓ " + L.codeCopied : L.codeCopy;
    status.textContent = ok ? "" : L.codeCopyFail;
  }

  // codeMessage shows a message with query codes: each large, with a copy button, and a
  // confirmation that they were saved. It resolves once confirmed; then the codes are taken
  // off the page, which the server gives them to only once.
  function codeMessage(m) {
    const div = document.createElement("div");
    div.className = "msg bot";
    let rest = m.text;
    const cards = [];
    for (;;) {
      let at = -1, code = "";
      for (const c of m.codes) {
        const i = rest.indexOf(c);
        if (i >= 0 && (at < 0 || i < at)) { at = i; code = c; }
      }
      if (at < 0) break;
      // The card is its own box: the blank line the text leaves around the code is not needed.
      div.appendChild(document.createTextNode(rest.slice(0, at).replace(/\n\n$/, "\n")));
      const card = document.createElement("span");
      card.className = "code";
      const digits = document.createElement("span");
      digits.className = "digits";
      digits.setAttribute("translate", "no");
      digits.setAttribute("aria-label", L.codeLabel);
      digits.textContent = code;
      const c = document.createElement("button");
      c.type = "button";
      c.className = "copy";
      c.textContent = L.codeCopy;
      c.addEventListener("click", () => copy(code, digits, c));
      card.append(digits, c);
      div.appendChild(card);
      cards.push(card);
      rest = rest.slice(at + code.length).replace(/^\n\n/, "\n");
    }
    div.appendChild(document.createTextNode(rest));
    log.appendChild(div);

    const gate = document.createElement("div");
    gate.className = "codegate";
    const hold = document.createElement("p");
    hold.textContent = L.codeHold;
    const saved = document.createElement("button");
    saved.type = "button";
    saved.className = "saved";
    saved.textContent = L.codeSaved;
    gate.append(hold, saved);
    log.appendChild(gate);
    composer(false);
    scroll();
    saved.focus();
    return new Promise((resolve) => {
      saved.addEventListener("click", () => {
        for (const card of cards) {
          const gone = document.createElement("span");
          gone.className = "gone";
          gone.textContent = L.codeHidden;
          card.replaceWith(gone);
        }
        window.getSelection().removeAllRanges();
        gate.remove();
        status.textContent = "";
        composer(true);
        resolve();
      }, { once: true });
    });
  }

  async function poll() {
    for (;;) {
      try {
        const res = await fetch("/api/messages?wait=1&after=" + last + "&lang=" + encodeURIComponent(L.lang), { credentials: "same-origin" });
        const answer = await res.json();
        if (answer.labels) applyLabels(answer.labels);
        for (const m of answer.messages || []) {
          if (m.id <= last) continue;
          last = m.id;
          if (m.codes && m.codes.length) {
            await codeMessage(m);
          } else {
            const b = bubble(m.text, "bot");
            if (m.file) {
              const a = document.createElement("a");
              a.href = m.file.url; // a server path, never user text
              a.download = m.file.name;
              a.textContent = "\n📎 " + m.file.name;
              b.appendChild(a);
            }
          }
          if (m.buttons && m.buttons.length) buttons(m.buttons);
        }
        if (!res.ok) await new Promise((r) => setTimeout(r, 2000));
      } catch (e) {
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (input.disabled) return;
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    updateCounter();
    answered(current, null);
    const me = bubble(text, "me");
    send({ text: text, data: "" }, me, null);
  });

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  input.addEventListener("input", updateCounter);

  // The box takes at most max characters: a longer paste is cut by the browser, so say so.
  input.addEventListener("paste", (ev) => {
    const text = (ev.clipboardData && ev.clipboardData.getData("text")) || "";
    const room = max - input.value.length + (input.selectionEnd - input.selectionStart);
    if (text.length > room) status.textContent = L.pasteCut;
  });

  fileInput.addEventListener("change", async () => {
    answered(current, null);
    for (const f of Array.from(fileInput.files)) await upload(f);
    fileInput.value = "";
  });

  updateCounter();
  // Start (or resume) the conversation: the server answers with the menu, and offers to
  // continue an unfinished report.
  poll();
  send({ text: "/start", data: "" }, null, null);
})();
