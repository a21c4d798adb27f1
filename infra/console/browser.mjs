// Drives the operator console in Chromium, as an operator would, for infra/console's Go test:
// each "step <name>" line it prints waits for the test's "ok" on stdin, so the test can check
// from the outside (a client kicked, a setting read back) before the page goes on. With
// SHOTS set it saves the main screens there as PNGs.
import { chromium } from "playwright-core";
import readline from "node:readline";
import path from "node:path";

const { CONSOLE_URL, APP_KEY, APP_SECRET, USER_ID, CHROMIUM, SHOTS, RECEIVER_URL } = process.env;
const input = readline.createInterface({ input: process.stdin });
const answers = input[Symbol.asyncIterator]();

async function step(name) {
  console.log(`step ${name}`);
  const { value, done } = await answers.next();
  if (done || value !== "ok") throw new Error(`the test stopped the page after "${name}"`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  // Chromium's sandbox refuses to run as root.
  args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
  timeout: 30_000,
});
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("console", (m) => {
    if (/Content Security Policy|Uncaught/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  // The Server API paths the page calls, in order: the user screen reads one summary.
  const calls = [];
  page.on("request", (r) => {
    if (r.method() === "POST") calls.push(new URL(r.url()).pathname);
  });

  // see waits until the element's text matches, and says what it showed instead.
  async function see(selector, re) {
    try {
      await page.waitForFunction(
        ([sel, src, flags]) => new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ""),
        [selector, re.source, re.flags],
        { timeout: 10_000 },
      );
    } catch {
      const got = await page.locator(selector).textContent().catch(() => "(missing)");
      throw new Error(`${selector} shows "${got}", want ${re}`);
    }
  }
  // audit checks the screen in view as a keyboard and screen-reader user meets it: every
  // visible control has an accessible name, Tab reaches each one without getting stuck, and none
  // is cut off or needs horizontal scrolling at the current viewport. It fails naming them.
  async function audit(screen) {
    const where = `${screen} at ${page.viewportSize().width}×${page.viewportSize().height}`;
    // Nothing may be busy (disabled) while the controls are counted.
    await page.waitForFunction(() => !document.querySelector("input:disabled, select:disabled, button:disabled"));
    const found = await page.evaluate(() => {
      const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
      const text = (el) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
      const nameOf = (el) => {
        const by = el.getAttribute("aria-labelledby");
        if (by) return by.split(/\s+/).map((id) => text(document.getElementById(id))).join(" ").trim();
        if (el.getAttribute("aria-label")?.trim()) return el.getAttribute("aria-label").trim();
        const labels = [...(el.labels ?? [])].map(text).join(" ").trim();
        if (labels) return labels;
        return el.tagName === "BUTTON" ? text(el) : "";
      };
      const describe = (el) => (el.id ? `#${el.id}` : `${el.tagName.toLowerCase()} "${nameOf(el) || text(el)}"`);
      const controls = [...document.querySelectorAll("input, select, textarea, button")].filter(visible);
      // Kept for the Tab walk below, which asks which of them has the focus.
      window.auditControls = controls;
      const width = document.documentElement.clientWidth;
      const cut = [];
      if (document.documentElement.scrollWidth > width) cut.push(`the page is ${document.documentElement.scrollWidth} wide`);
      for (const el of controls) {
        const r = el.getBoundingClientRect();
        if (r.left < 0 || r.right > width) cut.push(`${describe(el)} spans ${Math.round(r.left)} to ${Math.round(r.right)}`);
        for (let a = el.parentElement; a; a = a.parentElement) {
          if (getComputedStyle(a).overflowX === "visible") continue;
          const b = a.getBoundingClientRect();
          if (r.left < b.left - 0.5 || r.right > b.right + 0.5) cut.push(`${describe(el)} is cut off by its ${a.tagName.toLowerCase()}.${a.className}`);
        }
      }
      return { names: controls.map(describe), unnamed: controls.filter((el) => !nameOf(el)).map(describe), cut };
    });
    if (found.names.length === 0) throw new Error(`${where}: no control is visible`);
    if (found.unnamed.length) throw new Error(`${where}: no accessible name: ${found.unnamed.join(", ")}`);
    // Playwright's accessibility snapshot agrees: no control role without a name.
    const tree = (await page.locator("body").ariaSnapshot()).split("\n");
    const bare = tree.filter((l) => /^\s*- (textbox|button|checkbox|combobox|spinbutton|searchbox|radio)( \[[^\]]*\])*\s*(:|$)/.test(l));
    if (bare.length) throw new Error(`${where}: the accessibility tree has unnamed controls: ${bare.join(" | ")}`);
    if (found.cut.length) throw new Error(`${where}: cut off or needs horizontal scrolling: ${found.cut.join(", ")}`);

    // Tab from wherever the focus is: the walk is a cycle, so twice the controls' number of
    // presses meets each one from any start. A press that leaves the focus where it was is a trap.
    const met = new Set();
    let last = -2;
    for (let i = 0; i < 2 * found.names.length + 4 && met.size < found.names.length; i++) {
      await page.keyboard.press("Tab");
      const at = await page.evaluate(() => window.auditControls.indexOf(document.activeElement));
      if (at >= 0 && at === last) throw new Error(`${where}: Tab stays on ${found.names[at]}`);
      if (at >= 0) met.add(at);
      last = at;
    }
    const missed = found.names.filter((_, i) => !met.has(i));
    if (missed.length) throw new Error(`${where}: Tab never reaches ${missed.join(", ")}`);
  }

  // focused names the element with the focus.
  const focused = () => page.evaluate(() => (document.activeElement?.id ? `#${document.activeElement.id}` : document.activeElement?.tagName));

  // refused waits for a field's error and checks it is where a reader meets it: in the message
  // the field names as its error (which is among what describes it), announced, beside the
  // field, with the field marked invalid and holding the focus.
  async function refused(field, re) {
    const msg = await page.locator(field).getAttribute("aria-errormessage");
    if (!msg) throw new Error(`${field} names no error message`);
    await see(`#${msg}`, re);
    // The message may already read so from an earlier refusal: wait for this one's mark and focus.
    await page
      .waitForFunction((sel) => {
        const f = document.querySelector(sel);
        return f.getAttribute("aria-invalid") === "true" && document.activeElement === f;
      }, field, { timeout: 5_000 })
      .catch(() => {}); // what is wrong is said below
    const got = await page.evaluate(([sel, id]) => {
      const f = document.querySelector(sel);
      const m = document.getElementById(id);
      const fr = f.getBoundingClientRect();
      const mr = m.getBoundingClientRect();
      return {
        invalid: f.getAttribute("aria-invalid"),
        focus: document.activeElement === f,
        announced: m.getAttribute("role") === "alert" || ["polite", "assertive"].includes(m.getAttribute("aria-live")),
        described: (f.getAttribute("aria-describedby") ?? "").split(/\s+/).includes(id),
        gap: Math.round(Math.max(mr.top - fr.bottom, fr.top - mr.bottom, 0)),
      };
    }, [field, msg]);
    const wrong = [];
    if (got.invalid !== "true") wrong.push(`aria-invalid is ${got.invalid}`);
    if (!got.focus) wrong.push(`the focus is on ${await focused()}`);
    if (!got.announced) wrong.push(`#${msg} is not announced (no role="alert" or aria-live)`);
    if (!got.described) wrong.push(`#${msg} is not in its aria-describedby`);
    if (got.gap > 64) wrong.push(`#${msg} is ${got.gap} pixels away`);
    if (wrong.length) throw new Error(`refused ${field}: ${wrong.join("; ")}`);
  }
  async function valid(field) {
    const invalid = await page.locator(field).getAttribute("aria-invalid");
    if (invalid !== null) throw new Error(`${field} is still marked aria-invalid="${invalid}"`);
  }

  async function shot(name) {
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }

  const res = await page.goto(CONSOLE_URL);
  if (!res.ok()) throw new Error(`GET ${CONSOLE_URL}: HTTP ${res.status()}`);

  await audit("sign-in");

  // A wrong secret is refused, with the reason beside the form and the focus back on the secret.
  await page.getByLabel("App Key").fill(APP_KEY);
  await page.getByLabel("App Secret").fill("not-the-secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await see("#signin-msg", /App Secret does not match this App Key/);
  await refused("#app-secret", /App Secret does not match this App Key/);
  if (await page.locator("#user").isVisible()) throw new Error("the user screen shows after a wrong secret");
  await shot("signin-refused");
  await step("refused");

  // The right one, sent from the keyboard.
  await page.getByLabel("App Secret").fill(APP_SECRET);
  await page.getByLabel("App Secret").press("Enter");
  await page.locator("#user").waitFor({ state: "visible" });
  await valid("#app-secret");
  const stored = await page.evaluate(() => JSON.stringify([localStorage.length, sessionStorage.length, document.cookie]));
  if (stored !== '[0,0,""]') throw new Error(`the page stored something: ${stored}`);

  // Find the user, by keyboard: the id field has the focus after sign-in.
  calls.length = 0;
  await page.keyboard.type(USER_ID);
  await page.keyboard.press("Enter");
  await see("#u-name", /^Alice$/);
  await see("#u-online", /^Online$/);
  await see("#u-ban", /^Not banned$/);
  await see("#u-blocklist", /^1 user$/);
  await see("#u-whitelist", /^0 users$/);
  await see("#u-friends", /^1$/);
  await see("#u-muted", /^No$/);
  await see("#u-whitemode", /^Off$/);
  await see("#u-tags", /^vip, beta$/);
  await see("#u-profile", /"level": 2/);
  // One summary, and the hosted profile's text because the user has one.
  if (calls.join(" ") !== "/user/summary.json /user/profile/batch/query.json") {
    throw new Error(`finding a user called ${calls.join(", ")}, want the summary and the hosted profile`);
  }
  await shot("user");

  // Ban for 30 minutes, by keyboard only: from the id field, Tab passes Find and reaches the
  // minutes, then the Ban button. The test checks its connected client was kicked.
  for (const want of ["#find-button", "#block-minutes"]) {
    await page.keyboard.press("Tab");
    if ((await focused()) !== want) throw new Error(`Tab went to ${await focused()}, want ${want}`);
  }
  await page.keyboard.press("Control+A");
  await page.keyboard.type("30");
  await page.keyboard.press("Tab");
  if ((await focused()) !== "#block-button") throw new Error(`Tab from the minutes went to ${await focused()}, want the Ban button`);
  await page.keyboard.press("Enter");
  await see("#block-msg", /Banned for 30 minutes/);
  await see("#u-ban", /^Banned until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await see("#u-online", /^Offline$/);
  await shot("user-banned");
  await step("banned");
  await audit("user card");

  // A bad number, or none, is refused beside its field, which gets the focus; nothing is sent.
  calls.length = 0;
  await page.getByLabel("Ban for").fill("0");
  await page.getByRole("button", { name: "Ban", exact: true }).click();
  await refused("#block-minutes", /from 1 to 43200/);
  await page.getByLabel("Ban for").fill("");
  await page.getByLabel("Ban for").press("Enter");
  await refused("#block-minutes", /from 1 to 43200/);
  if (calls.length) throw new Error(`a refused ban still called ${calls.join(", ")}`);

  await page.getByRole("button", { name: "Unban" }).click();
  await see("#unblock-msg", /Ban lifted/);
  await see("#u-ban", /^Not banned$/);
  await step("unbanned");

  // Mute and unmute in direct chats.
  await page.getByRole("button", { name: "Mute", exact: true }).click();
  await see("#mute-msg", /^Muted in direct chats\.$/);
  await see("#u-muted", /^Yes$/);
  await step("muted");
  await page.getByRole("button", { name: "Unmute" }).click();
  await see("#mute-msg", /^Unmuted\.$/);
  await see("#u-muted", /^No$/);

  // Expire tokens: the test's client can no longer connect with its token.
  await page.getByRole("button", { name: "Expire tokens" }).click();
  await see("#expire-msg", /refused from now on/);
  await step("expired");

  // Clear the hosted profile the test set.
  await see("#u-profile", /"level": 2/);
  await page.getByRole("button", { name: "Clear hosted profile" }).click();
  await see("#clean-msg", /^Hosted profile cleared\.$/);
  await see("#u-profile", /^None$/);

  // The lists.
  await page.getByRole("button", { name: "Lists" }).click();
  await see("#bans-msg", /^None\.$/);
  await see("#dev-msg", /Page 1: \d+ shown/);
  await see("#deactivated-msg", /^None\.$/);
  await audit("lists");
  await shot("lists");

  // A setting changed on the page: the test reads it back through the Server API.
  await page.getByRole("button", { name: "Settings" }).click();
  await see("#s-format", /rongcloud/);
  await page.waitForFunction(() => document.querySelector("#settings-msg").textContent === "");
  await audit("settings");
  await page.getByLabel("Only friends may send direct messages").check();
  await page.getByLabel("Token lifetime").selectOption("7");
  await page.getByRole("button", { name: "Save settings" }).click();
  await see("#settings-msg", /^Saved\.$/);
  await step("saved");

  // A bad webhook URL is refused by the service (1002), shown beside the field at fault, which
  // gets the focus; the form's own message says it was not saved.
  await page.getByLabel("Webhook URL").fill("https://hooks.example/a#fragment");
  await page.getByRole("button", { name: "Save settings" }).click();
  await refused("#s-url", /^A value is missing or malformed\. \(1002: .*webhookUrl/);
  await see("#settings-msg", /^Not saved: the Webhook URL was refused\.$/);
  // One the page itself can tell is no URL is refused the same way, without a call.
  calls.length = 0;
  await page.getByLabel("Webhook URL").fill("hooks.example");
  await page.getByLabel("Webhook URL").press("Enter");
  await refused("#s-url", /must start with https:\/\//);
  if (calls.length) throw new Error(`a URL refused by the page still called ${calls.join(", ")}`);
  await page.getByRole("button", { name: "Reload" }).click();
  await see("#settings-msg", /^$/);
  await see("#s-url-msg", /^$/);
  await valid("#s-url");

  // No URL yet: the test event says so. Then the test's receiver gets one.
  await page.getByRole("button", { name: "Send a test event" }).click();
  await see("#test-msg", /No webhook URL is set/);
  await page.getByLabel("Webhook URL").fill(RECEIVER_URL);
  await page.getByLabel("Webhook format").selectOption("nexconn");
  await page.getByRole("button", { name: "Save settings" }).click();
  await see("#settings-msg", /^Saved\.$/);
  await page.getByRole("button", { name: "Send a test event" }).click();
  await see("#test-msg", /^Delivered: the App Server answered HTTP 200\.$/);
  await shot("settings");
  await step("tested");

  // Deactivate: the user shows as deactivated and is listed; opened from the list, reactivated.
  await page.getByRole("button", { name: "User", exact: true }).click();
  await page.getByRole("button", { name: "Deactivate" }).click();
  await see("#deactivate-msg", /^Deactivated/);
  await see("#u-deactivated", /^Yes$/);
  await step("deactivated");
  await page.getByRole("button", { name: "Lists" }).click();
  await see("#deactivated-msg", /^Page 1: 1 shown\.$/);
  await see("#dev-msg", /^Page 1: \d+ shown\.$/);
  await page.locator("#deactivated-body").getByRole("button", { name: `Open user ${USER_ID}` }).click();
  await see("#u-deactivated", /^Yes$/);
  await page.getByRole("button", { name: "Reactivate" }).click();
  await see("#reactivate-msg", /^Reactivated/);
  await see("#u-deactivated", /^No$/);
  await step("reactivated");

  // A development user deleted from the list, after the page asks to be sure.
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Lists" }).click();
  await see("#dev-msg", /^Page 1: \d+ shown\.$/);
  await page.getByRole("button", { name: "Delete user bob" }).click();
  await see("#dev-body", /Deleted\./);
  await step("deleted");

  // An id of no user is refused beside the id field, which gets the focus.
  await page.getByRole("button", { name: "User", exact: true }).click();
  await page.getByLabel("User id").fill("nobody-here");
  await page.getByLabel("User id").press("Enter");
  await refused("#find-id", /^No such user\. \(3001/);
  if (await page.locator("#user-card").isVisible()) throw new Error("the user card shows after an unknown id");

  // A phone's width: every screen in one column, its controls whole and reachable.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel("User id").fill(USER_ID);
  await page.getByRole("button", { name: "Find" }).click();
  await see("#u-id", new RegExp(`^${USER_ID}$`));
  await see("#find-msg", /^$/);
  await valid("#find-id");
  await audit("user card");
  await shot("user-390");
  await page.getByRole("button", { name: "Lists" }).click();
  await see("#dev-msg", /^Page 1: \d+ shown\.$/);
  await see("#bans-msg", /^None\.$/);
  await see("#deactivated-msg", /^None\.$/);
  await audit("lists");
  await page.getByRole("button", { name: "Settings" }).click();
  await see("#s-format", /rongcloud/);
  await page.waitForFunction(() => document.querySelector("#settings-msg").textContent === "");
  await audit("settings");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#signin").waitFor({ state: "visible" });
  await audit("sign-in");

  if (problems.length) throw new Error(`the page reported: ${problems.join(" | ")}`);
  console.log("done");
} finally {
  input.close(); // else stdin keeps the script running
  await browser.close();
}
