// Runs wasm/bench/index.html (browser-bench.mjs) in headless Chromium: prints the
// Markdown table on stdout, the page's progress on stderr.
// Usage (after bash wasm/build.sh; CHROMIUM=path overrides /usr/bin/chromium):
//   node wasm/bench/run-browser.mjs [--budget SECONDS] [--run-ms MS] [--json FILE] [--quick]
// (the options of node-bench.mjs).
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { serve } from '../../examples/browser/serve.mjs';
import { options, report } from './bench-core.mjs';

const argv = process.argv.slice(2);
const get = (name) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return null;
  return argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[i + 1] : '';
};
const opts = options(get);
const jsonPath = get('json');
const query = new URLSearchParams({ budget: opts.budgetSec, 'run-ms': opts.runMs });

const { server, url } = await serve(0, { quiet: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});
let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.error(m.text()));
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${url}/wasm/bench/?${query}`);
  // The budget bounds when the last round starts; one slow round more is the margin.
  const limit = (opts.budgetSec * 2 + 30) * 1000;
  await page.waitForFunction(() => window.__bench, undefined, { timeout: limit, polling: 250 });
  const bench = await page.evaluate(() => window.__bench);
  if (bench.error) throw new Error(bench.error);
  const pkg = JSON.parse(readFileSync(new URL('../pkg/package.json', import.meta.url), 'utf8'));
  const environment = `Chromium ${browser.version()} headless, funnelq-wasm ${pkg.version}`;
  console.log(`Median of ${bench.runs} runs per cell (after a warm-up round).\n`);
  console.log(bench.table);
  if (jsonPath) {
    writeFileSync(jsonPath, `${JSON.stringify(report('WASM (Chromium)', environment, bench.results), null, 2)}\n`);
  }
} catch (e) {
  console.error(`run-browser: ${e?.message ?? e}`);
  failed = true;
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
