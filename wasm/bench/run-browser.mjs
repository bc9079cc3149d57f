// Runs wasm/bench/index.html in headless Chromium and prints its table.
// Usage: node wasm/bench/run-browser.mjs [--quick]   (after bash wasm/build.sh)
import { chromium } from 'playwright-core';
import { serve } from '../../examples/browser/serve.mjs';

const quick = process.argv.includes('--quick');
const { server, url } = await serve(0, { quiet: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto(`${url}/wasm/bench/${quick ? '?quick' : ''}`);
  await page.waitForFunction(() => window.__bench, undefined, { timeout: 120_000, polling: 500 });
  console.log(await page.evaluate(() => window.__bench));
} finally {
  await browser.close();
  server.close();
}
