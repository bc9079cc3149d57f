// Runs wasm/browser-test/page.html in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) from the COOP/COEP server of examples/browser/serve.mjs.
// playwright-core starts Chromium with a fresh temporary profile of its own.
// Usage: node wasm/browser-test/run.mjs [regexp]   (after bash wasm/build.sh; CHROMIUM=path to override;
// with a regexp, only the tests whose names match it run, e.g. '^s07|s11_')
import { chromium } from 'playwright-core';
import { serve } from '../../examples/browser/serve.mjs';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The whole page run must end well inside CI's budget; a hang is reported, not waited out.
const RUN_DEADLINE_MS = Number(process.env.FUNNELQ_BROWSER_DEADLINE_MS ?? 170_000);
const only = process.argv[2];

/** `p`'s value, or null once `ms` pass first. */
async function within(p, ms) {
  let timer;
  const late = new Promise((ok) => {
    timer = setTimeout(() => ok(null), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const { server, url } = await serve(0, { quiet: true });
let failed = 0;
let browser;
try {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  const page = await browser.newPage();
  // Page diagnostics (progress, worker errors) go to stderr: stdout is the result lines.
  page.on('console', (m) => console.error(`  [page] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`  [page error] ${e.message}`));
  await page.goto(`${url}/wasm/browser-test/page.html${only ? `?only=${encodeURIComponent(only)}` : ''}`);
  let results = await within(page.evaluate(() => window.__results), RUN_DEADLINE_MS);
  if (results === null) {
    // A page whose main thread hangs cannot even answer this: then only the overrun is reported.
    const partial = (await within(
      page.evaluate(() => ({ done: window.__partial, running: window.__running })),
      5000,
    )) ?? { done: [], running: null };
    results = [
      ...partial.done,
      { name: partial.running ?? 'browser-run', ok: false, error: `the run overran ${RUN_DEADLINE_MS} ms` },
    ];
  }
  for (const r of results) {
    if (r.ok) console.log(`ok ${r.name} (${r.ms.toFixed(0)} ms)`);
    else {
      failed++;
      console.log(`not ok ${r.name}\n  ${r.error.replaceAll('\n', '\n  ')}`);
    }
  }
  console.log(`# browser: ${results.length - failed} passed, ${failed} failed`);
} catch (e) {
  failed++;
  console.log(`not ok browser run: ${e?.stack ?? e}`);
} finally {
  await browser?.close().catch(() => {});
  server.close();
}
process.exit(failed ? 1 : 0);
