// The console's screens: sign-in, one user, the lists, the app settings. Every value from
// the service goes into the page as text (textContent), never as markup.
import { ApiError, Client } from "./api.js";

const $ = (id) => document.getElementById(id);
let client = null;

// say shows an answer or an error in words next to the control that caused it.
function say(el, text, kind = "") {
  el.textContent = text;
  el.classList.remove("bad", "good");
  if (kind) el.classList.add(kind);
}
const failed = (el, e) => say(el, e instanceof ApiError ? e.words : String(e.message || e), "bad");

// fault shows why a field's value was refused in the message its aria-errormessage names
// (beside it, and announced), marks it invalid and puts the focus on it, so the operator
// corrects it without hunting for what was wrong.
function fault(field, text) {
  say($(field.getAttribute("aria-errormessage")), text, "bad");
  field.setAttribute("aria-invalid", "true");
  field.focus();
}
// clearFaults unmarks a form's fields before it is sent again: a refusal marks them anew.
function clearFaults(form) {
  for (const f of form.querySelectorAll("[aria-invalid]")) f.removeAttribute("aria-invalid");
}
// An edit unmarks the field: its value is no longer the one refused.
document.addEventListener("input", (ev) => {
  if (ev.target instanceof Element) ev.target.removeAttribute("aria-invalid");
});

// busy disables the controls while a call runs, so a double press sends one call.
async function busy(buttons, fn) {
  for (const b of buttons) b.disabled = true;
  try {
    return await fn();
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---- screens ----
function show(screen) {
  for (const id of ["signin", "user", "lists", "settings"]) $(id).hidden = id !== screen;
  for (const b of document.querySelectorAll("#nav [data-screen]")) {
    if (b.dataset.screen === screen) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  if (screen === "lists") loadLists();
  if (screen === "settings") loadSettings();
}
for (const b of document.querySelectorAll("#nav [data-screen]")) {
  b.addEventListener("click", () => show(b.dataset.screen));
}

// ---- sign-in ----
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const key = $("app-key").value.trim();
  const secret = $("app-secret").value;
  const msg = $("signin-msg");
  clearFaults(ev.target);
  if (!key || !secret) {
    fault(key ? $("app-secret") : $("app-key"), "Enter both the App Key and the App Secret.");
    return;
  }
  const candidate = new Client(key, secret);
  say(msg, "Checking…");
  await busy([$("signin-button")], async () => {
    try {
      // The cheapest signed read there is: one GetItem, and it proves key and secret.
      await candidate.call("/app/setting/query.json");
    } catch (e) {
      if (e instanceof ApiError && e.code === 1004) {
        fault($("app-secret"), "Sign-in refused: the App Secret does not match this App Key (or this computer's clock is more than five minutes off).");
      } else if (e instanceof ApiError && e.code === 1001) {
        fault($("app-key"), "Sign-in refused: this App Key is not served by this deployment.");
      } else failed(msg, e);
      return;
    }
    client = candidate;
    $("app-secret").value = "";
    say(msg, "");
    $("app-key-shown").textContent = key;
    $("nav").hidden = false;
    show("user");
    $("find-id").focus();
  });
});

$("sign-out").addEventListener("click", () => {
  client = null;
  $("nav").hidden = true;
  $("user-card").hidden = true;
  say($("find-msg"), "");
  show("signin");
  $("app-key").focus();
});

// ---- one user ----
let current = null; // the user id the card shows

$("find-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = $("find-id").value.trim();
  if (!id) {
    fault($("find-id"), "Enter a user id.");
    return;
  }
  await busy([$("find-button")], () => openUser(id));
});

export async function openUser(id) {
  show("user");
  $("find-id").value = id;
  $("find-id").removeAttribute("aria-invalid");
  const msg = $("find-msg");
  say(msg, "Reading…");
  for (const o of document.querySelectorAll("#user-card output")) say(o, "");
  try {
    await readUser(id);
    say(msg, "");
  } catch (e) {
    $("user-card").hidden = true;
    current = null;
    // The id itself was refused (malformed, too long, or no such user): it is the field at fault.
    if (e instanceof ApiError && [1002, 1005, 3001].includes(e.code)) fault($("find-id"), e.words);
    else failed(msg, e);
  }
}

// settle turns a read's failure into a value, so it shows its error in its own place.
const settle = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
const text = (r, f) => (r.ok ? f(r.v) : r.e instanceof ApiError ? r.e.words : String(r.e));

async function readUser(id) {
  // One read of what the user's own items hold; the hosted profile's text only when there is one.
  const sum = await client.call("/user/summary.json", { userId: id });
  const profile = sum.hasProfile ? await settle(client.call("/user/profile/batch/query.json", { userId: id })) : { ok: true, v: {} };
  // A deactivated user's profile is erased; everything else about it still reads.
  const deactivated = sum.deactivated;
  current = id;
  $("user-card").hidden = false;
  $("u-id").textContent = id;
  $("u-name").textContent = deactivated ? "(erased: deactivated)" : sum.userName || "(no name)";
  const portrait = !deactivated && /^https:\/\//i.test(sum.userPortrait || "") ? sum.userPortrait : "portrait.svg";
  $("u-portrait").src = portrait;
  $("u-portrait").alt = portrait === "portrait.svg" ? "No portrait" : `Portrait of ${id}`;
  $("u-created").textContent = deactivated ? "(erased)" : `${sum.createTime} UTC`;
  $("u-online").textContent = sum.online ? "Online" : "Offline";
  $("u-ban").textContent = sum.blockEndTime ? `Banned until ${sum.blockEndTime} UTC` : "Not banned";
  $("u-deactivated").textContent = deactivated ? "Yes" : "No";
  $("u-whitemode").textContent = sum.whitelistMode ? "On (only whitelisted users may message)" : "Off";
  const users = (n) => `${n} user${n === 1 ? "" : "s"}`;
  $("u-blocklist").textContent = users(sum.blacklistSize ?? 0);
  $("u-whitelist").textContent = users(sum.whitelistSize ?? 0);
  $("u-friends").textContent = `${sum.friendCount ?? 0}`;
  $("u-muted").textContent = sum.muted ? "Yes" : "No";
  $("u-tags").textContent = (sum.tags || []).length ? sum.tags.join(", ") : "None";
  $("u-profile").textContent = text(profile, (v) => {
    const p = (v.userList || []).find((u) => u.userId === id);
    if (!p) return "None";
    const out = {};
    for (const k of ["userProfile", "userExtProfile"]) {
      if (p[k]) {
        try {
          out[k] = JSON.parse(p[k]);
        } catch {
          out[k] = p[k];
        }
      }
    }
    return JSON.stringify(out, null, 2);
  });
}

// act runs one action on the card's user and shows its answer next to its control, then
// reads the user again so the card shows the effect. A 1002 answer is laid at field's door
// when the action has one; an action that closes the user's connections (closes) reads it again
// until it shows offline (untilOffline).
async function act(buttons, out, done, call, field = null, closes = false) {
  if (!current) return;
  const id = current;
  let ok = false;
  say(out, "Working…");
  await busy(buttons, async () => {
    try {
      await call(id);
    } catch (e) {
      if (field && e instanceof ApiError && e.code === 1002) fault(field, e.words);
      else failed(out, e);
      return;
    }
    say(out, done, "good");
    ok = true;
    try {
      await readUser(id);
    } catch (e) {
      failed($("find-msg"), e);
    }
  });
  if (ok && closes) await untilOffline(id);
}

// untilOffline reads the user again, once a second for a few seconds, while the card still shows
// it online after an action that closed its connections: each close reaches presence when the
// connection API reports it ($disconnect), a moment after the action has answered.
async function untilOffline(id) {
  for (let i = 0; i < 5 && current === id && $("u-online").textContent === "Online"; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (current !== id) return;
    try {
      await readUser(id);
    } catch {
      return; // the card keeps what it showed; the next find reads it afresh
    }
  }
}

$("block-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const out = $("block-msg");
  const raw = $("block-minutes").value.trim();
  const minute = Number(raw);
  clearFaults(ev.target);
  if (!/^\d+$/.test(raw) || minute < 1 || minute > 43200) {
    fault($("block-minutes"), "Minutes must be a whole number from 1 to 43200 (30 days).");
    return;
  }
  act(
    [$("block-button")],
    out,
    `Banned for ${minute} minute${minute === 1 ? "" : "s"}; open connections were closed.`,
    (id) => client.call("/user/block.json", { userId: id, minute }),
    $("block-minutes"),
    true,
  );
});
$("unblock-button").addEventListener("click", () =>
  act([$("unblock-button")], $("unblock-msg"), "Ban lifted.", (id) => client.call("/user/unblock.json", { userId: id })),
);
$("deactivate-button").addEventListener("click", () =>
  act(
    [$("deactivate-button")],
    $("deactivate-msg"),
    "Deactivated: profile erased, tokens refused; the rest is erased shortly.",
    (id) => client.call("/user/deactivate.json", { userId: id }),
    null,
    true,
  ),
);
$("reactivate-button").addEventListener("click", () =>
  act([$("reactivate-button")], $("reactivate-msg"), "Reactivated: the user needs a new token.", (id) =>
    client.call("/user/reactivate.json", { userId: id }),
  ),
);
$("expire-button").addEventListener("click", () =>
  act([$("expire-button")], $("expire-msg"), "Every token issued until now is refused from now on.", (id) =>
    client.call("/user/token/expire.json", { userId: id, time: Date.now() }),
  ),
);
const muteButtons = [$("mute-button"), $("unmute-button")];
$("mute-button").addEventListener("click", () =>
  act(muteButtons, $("mute-msg"), "Muted in direct chats.", (id) => client.call("/user/chat/fb/set.json", { userId: id, state: 1, type: "PERSON" })),
);
$("unmute-button").addEventListener("click", () =>
  act(muteButtons, $("mute-msg"), "Unmuted.", (id) => client.call("/user/chat/fb/set.json", { userId: id, state: 0, type: "PERSON" })),
);
$("clean-button").addEventListener("click", () =>
  act([$("clean-button")], $("clean-msg"), "Hosted profile cleared.", (id) => client.call("/user/profile/clean.json", { userId: id })),
);

// ---- lists ----
// A paged list: its page number, how it reads a page, and how it draws a row.
function pagedList(name, read, row) {
  const state = { page: 1 };
  const body = $(`${name}-body`);
  const msg = $(`${name}-msg`);
  const buttons = ["refresh", "prev", "next"].map((b) => $(`${name}-${b}`));
  async function load() {
    if (!client) return;
    say(msg, "Reading…");
    await busy(buttons, async () => {
      let rows;
      try {
        rows = await read(state.page);
      } catch (e) {
        body.replaceChildren();
        failed(msg, e);
        return;
      }
      body.replaceChildren(...rows.map(row));
      say(msg, rows.length ? `Page ${state.page}: ${rows.length} shown.` : state.page > 1 ? `Page ${state.page} is empty.` : "None.");
    });
  }
  $(`${name}-refresh`).addEventListener("click", load);
  $(`${name}-prev`).addEventListener("click", () => {
    if (state.page > 1) state.page--;
    load();
  });
  $(`${name}-next`).addEventListener("click", () => {
    state.page++;
    load();
  });
  return load;
}

function cell(content) {
  const td = document.createElement("td");
  if (typeof content === "string") td.textContent = content;
  else td.append(...content);
  return td;
}

// userLink is a button that opens the user's screen.
function userLink(id) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "mono";
  b.textContent = id;
  b.setAttribute("aria-label", `Open user ${id}`);
  b.addEventListener("click", () => openUser(id));
  return b;
}

const loadBans = pagedList(
  "bans",
  async (page) => (await client.call("/user/block/query.json", { page, size: 50 })).users || [],
  (u) => {
    const tr = document.createElement("tr");
    tr.append(cell([userLink(u.userId)]), cell(u.blockEndTime));
    return tr;
  },
);
const loadDeactivated = pagedList(
  "deactivated",
  async (page) => (await client.call("/user/deactivate/query.json", { pageNo: page, pageSize: 50 })).users || [],
  (id) => {
    const tr = document.createElement("tr");
    tr.append(cell([userLink(id)]));
    return tr;
  },
);
const loadDev = pagedList(
  "dev",
  async (page) => (await client.call("/user/query.json", { page, pageSize: 50, order: 1 })).users || [],
  (u) => {
    const tr = document.createElement("tr");
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Delete";
    del.setAttribute("aria-label", `Delete user ${u.userId}`);
    const out = document.createElement("output");
    out.className = "msg";
    out.setAttribute("aria-live", "polite");
    del.addEventListener("click", async () => {
      if (!confirm(`Delete ${u.userId}? Its data is erased and its connections closed.`)) return;
      say(out, "Deleting…");
      await busy([del], async () => {
        try {
          await client.call("/user/delusers.json", { userId: u.userId });
          say(out, "Deleted.", "good");
          del.remove();
        } catch (e) {
          failed(out, e);
        }
      });
    });
    tr.append(cell([userLink(u.userId)]), cell(u.userName || ""), cell(u.regTime || ""), cell([del, out]));
    return tr;
  },
);

function loadLists() {
  loadBans();
  loadDeactivated();
  loadDev();
}

// ---- settings ----
// loaded is the form as last read: a save sends only what changed since, so a value the
// operator did not touch (the default event list, say) stays what it was.
let loaded = null;
function settingsForm() {
  return {
    friendsOnlyDirectMessages: $("s-friends-only").checked ? "1" : "0",
    tokenTtlDays: $("s-ttl").value,
    webhookUrl: $("s-url").value.trim(),
    webhookFormat: $("s-format").value,
    webhookEvents: $("s-events").value.replace(/\s+/g, ""),
  };
}

async function loadSettings() {
  const msg = $("settings-msg");
  say(msg, "Reading…");
  clearFaults($("settings-form"));
  for (const o of document.querySelectorAll("#settings-form .field-msg")) say(o, "");
  try {
    const s = await client.call("/app/setting/query.json");
    $("s-friends-only").checked = s.friendsOnlyDirectMessages === 1;
    $("s-ttl").value = String(s.tokenTtlDays ?? 0);
    $("s-url").value = s.webhookUrl || "";
    $("s-format").value = s.webhookFormat || "rongcloud";
    $("s-events").value = (s.webhookEvents || []).join(",");
    loaded = settingsForm();
    say(msg, "");
  } catch (e) {
    failed(msg, e);
  }
}
$("settings-reload").addEventListener("click", loadSettings);

$("settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const msg = $("settings-msg");
  const url = $("s-url").value.trim();
  clearFaults(ev.target);
  for (const o of ev.target.querySelectorAll(".field-msg")) say(o, "");
  if (url && !/^https?:\/\//i.test(url)) {
    say(msg, "Not saved: the Webhook URL was refused.", "bad");
    fault($("s-url"), "The webhook URL must start with https:// (or be empty to turn webhooks off).");
    return;
  }
  const now = settingsForm();
  const changed = Object.fromEntries(Object.entries(now).filter(([k, v]) => !loaded || loaded[k] !== v));
  if (Object.keys(changed).length === 0) {
    say(msg, "Nothing to save: no setting was changed.");
    return;
  }
  say(msg, "Saving…");
  await busy([$("settings-save"), $("settings-reload")], async () => {
    try {
      await client.call("/app/setting/set.json", changed);
    } catch (e) {
      // The field the service named, when it named one, gets the error beside it and the focus.
      const fields = { webhookUrl: "s-url", webhookEvents: "s-events", webhookFormat: "s-format", tokenTtlDays: "s-ttl" };
      const named = Object.entries(fields).find(([param]) => e instanceof ApiError && e.message.includes(param));
      if (named) {
        const field = $(named[1]);
        say(msg, `Not saved: the ${field.labels[0].textContent} was refused.`, "bad");
        fault(field, e.words);
      } else failed(msg, e);
      return;
    }
    loaded = now;
    say(msg, "Saved.", "good");
  });
});

$("test-event").addEventListener("click", async () => {
  const out = $("test-msg");
  say(out, "Sending…");
  await busy([$("test-event")], async () => {
    try {
      const r = await client.call("/app/webhook/test.json");
      if (r.delivered) say(out, `Delivered: the App Server answered HTTP ${r.httpStatus}.`, "good");
      else say(out, `Not delivered${r.httpStatus ? `: the App Server answered HTTP ${r.httpStatus}` : ""}${r.error ? ` (${r.error})` : ""}.`, "bad");
    } catch (e) {
      if (e instanceof ApiError && e.code === 1002 && /url/i.test(e.message)) {
        say(out, `No webhook URL is set: save one above first. (${e.message})`, "bad");
      } else failed(out, e);
    }
  });
});

show("signin");
