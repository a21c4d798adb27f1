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
  async function shot(name) {
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }

  const res = await page.goto(CONSOLE_URL);
  if (!res.ok()) throw new Error(`GET ${CONSOLE_URL}: HTTP ${res.status()}`);

  // A wrong secret is refused, with the reason beside the form.
  await page.getByLabel("App Key").fill(APP_KEY);
  await page.getByLabel("App Secret").fill("not-the-secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await see("#signin-msg", /App Secret does not match this App Key/);
  if (await page.locator("#user").isVisible()) throw new Error("the user screen shows after a wrong secret");
  await shot("signin-refused");
  await step("refused");

  // The right one, sent from the keyboard.
  await page.getByLabel("App Secret").fill(APP_SECRET);
  await page.getByLabel("App Secret").press("Enter");
  await page.locator("#user").waitFor({ state: "visible" });
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

  // Ban for 30 minutes: the test checks its connected client was kicked.
  await page.getByLabel("Ban for").fill("30");
  await page.getByRole("button", { name: "Ban", exact: true }).click();
  await see("#block-msg", /Banned for 30 minutes/);
  await see("#u-ban", /^Banned until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await see("#u-online", /^Offline$/);
  await shot("user-banned");
  await step("banned");

  // A bad number is refused beside its field, and nothing is sent.
  await page.getByLabel("Ban for").fill("0");
  await page.getByRole("button", { name: "Ban", exact: true }).click();
  await see("#block-msg", /from 1 to 43200/);

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
  await shot("lists");

  // A setting changed on the page: the test reads it back through the Server API.
  await page.getByRole("button", { name: "Settings" }).click();
  await see("#s-format", /rongcloud/);
  await page.waitForFunction(() => document.querySelector("#settings-msg").textContent === "");
  await page.getByLabel("Only friends may send direct messages").check();
  await page.getByLabel("Token lifetime").selectOption("7");
  await page.getByRole("button", { name: "Save settings" }).click();
  await see("#settings-msg", /^Saved\.$/);
  await step("saved");

  // A bad webhook URL is refused by the service, shown beside the form.
  await page.getByLabel("Webhook URL").fill("https://hooks.example/a#fragment");
  await page.getByRole("button", { name: "Save settings" }).click();
  await see("#settings-msg", /webhookUrl/);
  await page.getByRole("button", { name: "Reload" }).click();
  await see("#settings-msg", /^$/);

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

  // A phone's width: the user screen in one column.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "User", exact: true }).click();
  await page.getByLabel("User id").fill(USER_ID);
  await page.getByRole("button", { name: "Find" }).click();
  await see("#u-id", new RegExp(`^${USER_ID}$`));
  await see("#find-msg", /^$/);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 390) throw new Error(`at 390 pixels wide the page is ${wide} wide`);
  await shot("user-390");

  if (problems.length) throw new Error(`the page reported: ${problems.join(" | ")}`);
  console.log("done");
} finally {
  input.close(); // else stdin keeps the script running
  await browser.close();
}
