// Runs the demo page once in headless Chromium (?auto=1) and checks its summary.
// Usage: node examples/browser/smoke.mjs   (after bash wasm/build.sh; needs playwright-core from wasm/)
import { createRequire } from 'node:module';
import { serve } from './serve.mjs';

const require = createRequire(new URL('../../wasm/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const { server, url } = await serve(0, { quiet: true });
let browser;
let ok = false;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`[page] ${m.text()}`));
  for (const query of ['auto=1&n=20000', 'auto=1&n=800&capacity=8&slow=1']) {
    await page.goto(`${url}/examples/browser/?${query}`);
    await page.waitForFunction(() => window.__demo !== undefined, undefined, { timeout: 30_000 });
    const r = await page.evaluate(() => window.__demo, undefined, { timeout: 60_000 });
    if (r.received !== r.expected || r.outOfOrder !== 0) throw new Error(`bad summary ${JSON.stringify(r)}`);
    console.log(`ok demo ?${query}: ${r.received} messages, ${r.rate} msg/s, trySend full ${r.fullHits} times`);
  }
  ok = true;
} catch (e) {
  console.log(`not ok demo: ${e?.stack ?? e}`);
} finally {
  await browser?.close().catch(() => {});
  server.close();
}
process.exit(ok ? 0 : 1);
