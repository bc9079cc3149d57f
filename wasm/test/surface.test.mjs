// The hand-written index.d.ts declares what the module has: every member it lists
// for Sender and Receiver exists on the runtime classes, and every name it exports
// is exported by index.js (and the other way round, but for wasm-bindgen's extras).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as api from '../pkg/index.js';

const dts = await readFile(new URL('../pkg/index.d.ts', import.meta.url), 'utf8');

function members(cls) {
  const body = dts.slice(dts.indexOf(`export declare class ${cls} {`));
  const block = body.slice(0, body.indexOf('\n}'));
  const names = new Set();
  for (const line of block.split('\n')) {
    const m = /^ {2}(?:static |get )?(\[globalThis\.Symbol\.\w+\]|\w+)\(/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

test('surface: index.d.ts members exist on the runtime classes', () => {
  for (const [cls, C] of [['Sender', api.Sender], ['Receiver', api.Receiver]]) {
    const declared = members(cls);
    assert.ok(declared.size >= 15, `${cls}: ${[...declared]}`);
    for (const name of declared) {
      const sym = /^\[globalThis\.Symbol\.(\w+)\]$/.exec(name);
      const key = sym ? Symbol[sym[1]] : name;
      const has = key === 'fromToken' ? typeof C.fromToken === 'function' : key in C.prototype;
      assert.ok(has, `${cls}.${String(name)} is declared but missing`);
    }
    for (const name of Object.getOwnPropertyNames(C.prototype)) {
      if (name === 'constructor' || name.startsWith('__')) continue;
      assert.ok(declared.has(name), `${cls}.${name} exists but is not declared`);
    }
  }
});

test('surface: exported names match index.d.ts', () => {
  const declared = new Set();
  for (const m of dts.matchAll(/^export (?:declare )?(?:function|const|class) (\w+)/gm)) declared.add(m[1]);
  for (const name of declared) assert.ok(name in api, `${name} is declared but not exported`);
  for (const name of Object.keys(api)) assert.ok(declared.has(name), `${name} is exported but not declared`);
  assert.equal(api.MAX_CAPACITY, 1048576);
  assert.equal(api.MAX_MESSAGE_BYTES, 67108864);
  assert.equal(api.MAX_BATCH, 1048576);
});
