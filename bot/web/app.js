// The web chat client. Every text from the server or the user is put on the page with
// textContent, never innerHTML, so nothing a user types can run as script.
"use strict";

(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const fileInput = document.getElementById("file");
  const status = document.getElementById("status");
  let last = 0;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
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
          for (const x of box.querySelectorAll("button")) x.disabled = true;
          bubble(b.text, "me");
          send({ text: "", data: b.data });
        });
        r.appendChild(el);
      }
      box.appendChild(r);
    }
    log.appendChild(box);
    scroll();
  }

  // Sends with a client id; a network failure retries with the same id, which the server
  // deduplicates, so a retry never files anything twice.
  async function send(body, attempt) {
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
    } catch (e) {
      if (attempt < 5) {
        status.textContent = "网络不稳定，正在重试… / Reconnecting…";
        setTimeout(() => send(body, attempt + 1), 1000 * (attempt + 1));
        return;
      }
      status.textContent = "发送失败，请检查网络后重试。/ Could not send; check your connection.";
    }
  }

  async function upload(file) {
    const id = newId();
    const fd = new FormData();
    fd.append("file", file, file.name);
    bubble("📎 " + file.name, "me");
    try {
      const res = await fetch("/api/upload?id=" + encodeURIComponent(id), { method: "POST", body: fd, credentials: "same-origin" });
      const answer = await res.json();
      status.textContent = answer.ok ? "" : answer.error;
    } catch (e) {
      status.textContent = "上传失败，请重试。/ Upload failed; please retry.";
    }
  }

  async function poll() {
    for (;;) {
      try {
        const res = await fetch("/api/messages?wait=1&after=" + last, { credentials: "same-origin" });
        const answer = await res.json();
        for (const m of answer.messages || []) {
          if (m.id <= last) continue;
          last = m.id;
          const b = bubble(m.text, "bot");
          if (m.file) {
            const a = document.createElement("a");
            a.href = m.file.url; // a server path, never user text
            a.download = m.file.name;
            a.textContent = "\n📎 " + m.file.name;
            b.appendChild(a);
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
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    bubble(text, "me");
    send({ text: text, data: "" });
  });

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  fileInput.addEventListener("change", async () => {
    for (const f of Array.from(fileInput.files)) await upload(f);
    fileInput.value = "";
  });

  // Start (or resume) the conversation: the server answers with the menu, and offers to
  // continue an unfinished report.
  poll();
  send({ text: "/start", data: "" });
})();
