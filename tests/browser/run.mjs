// Drive Debian's Chromium through scenarios of scenarios.js; prints one JSON report.
//   node run.mjs < request.json
// request: {"steps": [{"page": URL of page.html, "scenario": name, "args": {...}}]}
//   or, to look at a page of its own: {"page": URL, "onlyHost": "host:port" (every other
//   host unreachable), "read": {"selector", "attribute"}}: the attribute of each match,
//   once one is shown, and the URLs the page asked for elsewhere.
// report:  {"results": [{"result": ... | "error": {"name", "message"}, "console": [...]}]}
// Each step runs in a fresh page of one browser whose profile is a new directory.
import { mkdtemp, rename, rm, stat, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const STEP_TIMEOUT_MS = 120_000;

// Uppy ships ES modules only: bundle what the page uses, once per package-lock.json.
async function bundleUppy() {
  const bundle = join(HERE, "build", "uppy.js");
  const lock = await stat(join(HERE, "package-lock.json"));
  const built = await stat(bundle).catch(() => null);
  if (built && built.mtimeMs >= lock.mtimeMs) return;
  await mkdir(dirname(bundle), { recursive: true });
  const partial = `${bundle}.${process.pid}`;
  await esbuild.build({
    entryPoints: [join(HERE, "uppy-entry.js")],
    bundle: true,
    format: "iife",
    globalName: "UppyBundle",
    platform: "browser",
    outfile: partial,
    logLevel: "warning",
  });
  await rename(partial, bundle);  // atomic: concurrent runs never read half a bundle
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function readPage(page, step) {
  const elsewhere = [];
  if (step.onlyHost) {
    await page.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.host === step.onlyHost) return route.continue();
      elsewhere.push(url.href);
      return route.abort("internetdisconnected");
    });
  }
  try {
    await page.goto(step.page, { waitUntil: "load" });
    const { selector, attribute } = step.read;
    await page.waitForSelector(selector, { timeout: 30_000 });
    const values = await page.$$eval(
      selector,
      (found, name) => found.map((element) => element.getAttribute(name)),
      attribute,
    );
    return { result: { values, elsewhere } };
  } catch (error) {
    return { error: { name: error.name, message: String(error.message ?? error) }, elsewhere };
  }
}

async function runStep(context, step) {
  const page = await context.newPage();
  const console = [];
  page.on("console", (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => console.push(`pageerror: ${error.message}`));
  try {
    if (step.read) return { ...(await readPage(page, step)), console };
    await page.goto(step.page, { waitUntil: "load" });
    const outcome = await page.evaluate(
      async ({ scenario, args }) => {
        try {
          return { result: await window.scenarios[scenario](args) };
        } catch (error) {
          return { error: { name: error.name, message: String(error.message ?? error) } };
        }
      },
      { scenario: step.scenario, args: step.args ?? {} },
    );
    return { ...outcome, console };
  } finally {
    await page.close();
  }
}

const request = await readStdin();
await bundleUppy();
const profile = await mkdtemp(join(tmpdir(), "browser-test-profile-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ARGS,
  timeout: 60_000,
});
context.setDefaultTimeout(STEP_TIMEOUT_MS);
try {
  const results = [];
  for (const step of request.steps) results.push(await runStep(context, step));
  process.stdout.write(`${JSON.stringify({ results })}\n`);
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
