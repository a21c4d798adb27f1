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
  if (!key || !secret) {
    say(msg, "Enter both the App Key and the App Secret.", "bad");
    (key ? $("app-secret") : $("app-key")).focus();
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
        say(msg, "Sign-in refused: the App Secret does not match this App Key (or this computer's clock is more than five minutes off).", "bad");
        $("app-secret").focus();
      } else if (e instanceof ApiError && e.code === 1001) {
        say(msg, "Sign-in refused: this App Key is not served by this deployment.", "bad");
        $("app-key").focus();
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
    say($("find-msg"), "Enter a user id.", "bad");
    $("find-id").focus();
    return;
  }
  await busy([$("find-button")], () => openUser(id));
});

export async function openUser(id) {
  show("user");
  $("find-id").value = id;
  const msg = $("find-msg");
  say(msg, "Reading…");
  for (const o of document.querySelectorAll("#user-card output")) say(o, "");
  try {
    await readUser(id);
    say(msg, "");
  } catch (e) {
    $("user-card").hidden = true;
    current = null;
    failed(msg, e);
  }
}

// settle runs the reads side by side; one that fails shows its error in its own place.
const settle = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
const text = (r, f) => (r.ok ? f(r.v) : r.e instanceof ApiError ? r.e.words : String(r.e));

async function readUser(id) {
  let deactivated = false;
  let info = null;
  try {
    info = await client.call("/user/info.json", { userId: id });
  } catch (e) {
    // A deactivated user's profile is erased; everything else about it still reads.
    if (!(e instanceof ApiError && e.code === 3002)) throw e;
    deactivated = true;
  }
  const [online, ban, white, block, wlist, friends, muted, tags, profile] = await Promise.all([
    settle(client.call("/user/checkOnline.json", { userId: id })),
    settle(findBan(id)),
    settle(client.call("/user/whitesetting/query.json", { userId: id })),
    settle(listSize("/user/blacklist/query.json", id)),
    settle(listSize("/user/whitelist/query.json", id)),
    settle(client.call("/friend/get.json", { userId: id, size: 1 })),
    settle(findMuted(id)),
    settle(client.call("/user/tags/get.json", { userIds: id })),
    settle(client.call("/user/profile/batch/query.json", { userId: id })),
  ]);
  current = id;
  $("user-card").hidden = false;
  $("u-id").textContent = id;
  $("u-name").textContent = deactivated ? "(erased: deactivated)" : info.userName || "(no name)";
  const portrait = !deactivated && /^https:\/\//i.test(info.userPortrait || "") ? info.userPortrait : "portrait.svg";
  $("u-portrait").src = portrait;
  $("u-portrait").alt = portrait === "portrait.svg" ? "No portrait" : `Portrait of ${id}`;
  $("u-created").textContent = deactivated ? "(erased)" : `${info.createTime} UTC`;
  $("u-online").textContent = text(online, (v) => (v.status === "1" ? "Online" : "Offline"));
  $("u-ban").textContent = text(ban, (v) => (v ? `Banned until ${v} UTC` : "Not banned"));
  $("u-deactivated").textContent = deactivated ? "Yes" : "No";
  $("u-whitemode").textContent = text(white, (v) => {
    const s = (v.users || []).find((u) => u.userId === id);
    return s && s.whiteSetting === "1" ? "On (only whitelisted users may message)" : "Off";
  });
  $("u-blocklist").textContent = text(block, (n) => `${n} user${n === 1 ? "" : "s"}`);
  $("u-whitelist").textContent = text(wlist, (n) => `${n} user${n === 1 ? "" : "s"}`);
  $("u-friends").textContent = text(friends, (v) => `${v.totalCount ?? 0}`);
  $("u-muted").textContent = text(muted, (v) => (v === null ? "Unknown (more than 1000 users are muted)" : v ? "Yes" : "No"));
  $("u-tags").textContent = text(tags, (v) => {
    const list = (v.result && v.result[id]) || [];
    return list.length ? list.join(", ") : "None";
  });
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

// listSize counts a blocklist or whitelist by paging its query (each list holds at most 3000).
async function listSize(path, id) {
  let n = 0;
  let pageToken = "";
  for (let i = 0; i < 10; i++) {
    const page = await client.call(path, pageToken ? { userId: id, size: 1000, pageToken } : { userId: id, size: 1000 });
    n += (page.users || []).length;
    if (!page.next) return n;
    pageToken = page.next;
  }
  return n;
}

// findBan looks the user up among the current bans (the first 1000, soonest end first).
async function findBan(id) {
  const v = await client.call("/user/block/query.json");
  const b = (v.users || []).find((u) => u.userId === id);
  return b ? b.blockEndTime : "";
}

// findMuted looks the user up among the app's muted users, five pages of 200 at most; null
// when the list goes on beyond them.
async function findMuted(id) {
  for (let page = 0; page < 5; page++) {
    const v = await client.call("/user/chat/fb/querylist.json", { num: 200, offset: page * 200, type: "PERSON" });
    const users = v.users || [];
    if (users.includes(id)) return true;
    if (users.length < 200 || (page + 1) * 200 >= (v.total ?? 0)) return false;
  }
  return null;
}

// act runs one action on the card's user and shows its answer next to its control, then
// reads the user again so the card shows the effect.
async function act(buttons, out, done, call) {
  if (!current) return;
  const id = current;
  say(out, "Working…");
  await busy(buttons, async () => {
    try {
      await call(id);
    } catch (e) {
      failed(out, e);
      return;
    }
    say(out, done, "good");
    try {
      await readUser(id);
    } catch (e) {
      failed($("find-msg"), e);
    }
  });
}

$("block-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const out = $("block-msg");
  const raw = $("block-minutes").value.trim();
  const minute = Number(raw);
  if (!/^\d+$/.test(raw) || minute < 1 || minute > 43200) {
    say(out, "Minutes must be a whole number from 1 to 43200 (30 days).", "bad");
    $("block-minutes").focus();
    return;
  }
  act([$("block-button")], out, `Banned for ${minute} minute${minute === 1 ? "" : "s"}; open connections were closed.`, (id) =>
    client.call("/user/block.json", { userId: id, minute }),
  );
});
$("unblock-button").addEventListener("click", () =>
  act([$("unblock-button")], $("unblock-msg"), "Ban lifted.", (id) => client.call("/user/unblock.json", { userId: id })),
);
$("deactivate-button").addEventListener("click", () =>
  act([$("deactivate-button")], $("deactivate-msg"), "Deactivated: profile erased, tokens refused; the rest is erased shortly.", (id) =>
    client.call("/user/deactivate.json", { userId: id }),
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
  if (url && !/^https?:\/\//i.test(url)) {
    say(msg, "The webhook URL must start with https:// (or be empty to turn webhooks off).", "bad");
    $("s-url").focus();
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
      failed(msg, e);
      // Put the focus on the field the service named, when it named one.
      const field = { webhookUrl: "s-url", webhookEvents: "s-events", webhookFormat: "s-format", tokenTtlDays: "s-ttl" };
      for (const [param, id] of Object.entries(field)) {
        if (e instanceof ApiError && e.message.includes(param)) {
          $(id).focus();
          break;
        }
      }
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
