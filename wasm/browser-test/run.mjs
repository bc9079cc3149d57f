// Runs wasm/browser-test/page.html in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) from the COOP/COEP server of examples/browser/serve.mjs.
// playwright-core starts Chromium with a fresh temporary profile of its own.
// Usage: node wasm/browser-test/run.mjs   (after bash wasm/build.sh; CHROMIUM=path to override)
import { chromium } from 'playwright-core';
import { serve } from '../../examples/browser/serve.mjs';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
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
  page.on('console', (m) => console.log(`  [page] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  await page.goto(`${url}/wasm/browser-test/page.html`);
  const results = await page.evaluate(() => window.__results, undefined, { timeout: 120_000 });
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
