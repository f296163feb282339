// Drives page/index.html in headless Chromium for test_browser.py:
//   node browser.mjs CHROMIUM PROFILE_DIR URL...
// For each URL (index.html with its settings in the fragment) it presses Run, waits until the page says
// it is done and prints, as one JSON line, what each step shows: [{url, steps: {id: {state, text}}, console}].
// Chromium is Debian's (no browser download works here), in a fresh profile, with nothing in the
// background reaching out (the machine's network is closed beyond loopback).
import puppeteer from "puppeteer-core";

const [executablePath, userDataDir, ...urls] = process.argv.slice(2);
const STEP_TIMEOUT_MS = 60_000;

const browser = await puppeteer.launch({
  executablePath,
  userDataDir,
  headless: true, // --headless=new
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});
try {
  const results = [];
  for (const url of urls) {
    const page = await browser.newPage();
    const console_ = [];
    page.on("console", (message) => console_.push(`${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => console_.push(`pageerror: ${error.message}`));
    await page.goto(url, { waitUntil: "load" });
    await page.click("#run");
    await page.waitForSelector('body[data-state="done"]', { timeout: STEP_TIMEOUT_MS });
    const steps = await page.$$eval("output", (outputs) =>
      Object.fromEntries(outputs.map((o) => [o.id, { state: o.dataset.state ?? "", text: o.textContent ?? "" }])),
    );
    results.push({ url: new URL(url).origin, steps, console: console_ });
    await page.close();
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
} finally {
  await browser.close();
}
