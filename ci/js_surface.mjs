#!/usr/bin/env node
// The two JavaScript packages declare one surface (docs/semantics.md, "JavaScript"):
// this reads each package's published types with the TypeScript checker and fails
// when an exported name, a member of Sender or Receiver, or a member's type differs,
// except for the host-only extras listed below.
//
//   node ci/js_surface.mjs          (after the Node build and wasm/build.sh)
//
// Types are compared structurally (see printType), after folding what differs only in
// spelling: `Buffer` (Node's Uint8Array subclass) reads as `Uint8Array`, `| undefined`
// and `| null` on optional parameters are dropped, union members are sorted, and the
// iterator methods compare by element type.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'bindings-node', 'package.json'));
const ts = require('typescript');

const PACKAGES = {
  'funnelq (Node)': path.join(root, 'bindings-node', 'index.d.ts'),
  'funnelq-wasm': path.join(root, 'wasm', 'pkg', 'index.d.ts'),
};

// Exports that only one host has (S17's main-thread rules, the WASM set-up, Node's
// handle count) and the generator's own helpers.
const HOST_ONLY = {
  'funnelq (Node)': new Set(['liveHandles', '__napiBindingTarget']),
  'funnelq-wasm': new Set([
    'init', 'initWorker', 'shared', 'exitWorker', 'canBlock', 'setCanBlockForTesting',
    'releaseWorker', 'workerId', 'Shared', 'InitOptions', 'InitInput', 'InitOutput', 'SyncInitInput',
    'initSync', 'default',
  ]),
};
// Members wasm-bindgen generates on every class (`free()` is `dispose()` by another name).
const MEMBER_HOST_ONLY = new Set(['free', '__destroy_into_raw', '__wbg_ptr']);

// Prints a type structurally, so that an alias in one package and its expansion in
// the other read the same: unions sorted (true | false is boolean), Buffer and
// Uint8Array<…> as Uint8Array, signatures as (name?: type) => type, where an optional
// parameter's `| undefined | null` is dropped.
function printType(checker, type, depth = 0) {
  if (depth > 6) return checker.typeToString(type);
  if (type.isUnion()) {
    let parts = [...new Set(type.types.map((t) => printType(checker, t, depth + 1)))];
    if (parts.includes('true') && parts.includes('false')) {
      parts = parts.filter((p) => p !== 'true' && p !== 'false').concat('boolean');
    }
    return parts.sort().join(' | ');
  }
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  const name = symbol?.getName();
  if (name === 'Buffer' || name === 'Uint8Array') return 'Uint8Array';
  const signatures = type.getCallSignatures();
  if (signatures.length && !(type.flags & ts.TypeFlags.Union)) {
    return signatures.map((sig) => printSignature(checker, sig, depth + 1)).join(' & ');
  }
  if (name === '__NapiRsAsyncGenerator' || name === 'AsyncGenerator' || name === 'AsyncIterator' || name === 'AsyncIterableIterator') {
    const args = checker.getTypeArguments(type);
    const element = name === '__NapiRsAsyncGenerator' ? args[1] : args[0];
    return `AsyncIterator<${element ? printType(checker, element, depth + 1) : '?'}>`;
  }
  if (name === 'Generator' || name === 'Iterator' || name === 'IterableIterator') {
    const [element] = checker.getTypeArguments(type);
    return `Iterator<${element ? printType(checker, element, depth + 1) : '?'}>`;
  }
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type);
    const inner = printType(checker, element, depth + 1);
    return inner.includes('|') ? `(${inner})[]` : `${inner}[]`;
  }
  if (name === 'Promise') {
    const [inner] = checker.getTypeArguments(type);
    return `Promise<${printType(checker, inner, depth + 1)}>`;
  }
  return checker.typeToString(type).replace(/globalThis\./g, '');
}

function printSignature(checker, sig, depth) {
  const params = sig.getParameters().map((p) => {
    const decl = p.valueDeclaration;
    const optional = decl && ts.isParameter(decl) && (decl.questionToken || decl.initializer);
    let type = checker.getTypeOfSymbolAtLocation(p, decl);
    let text = printType(checker, type, depth + 1);
    if (optional) {
      text = text.split(' | ').filter((t) => t !== 'undefined' && t !== 'null').join(' | ');
    }
    return `${p.getName()}${optional ? '?' : ''}: ${text}`;
  });
  return `(${params.join(', ')}) => ${printType(checker, sig.getReturnType(), depth + 1)}`;
}

// `[Symbol.dispose]` reaches us as `__@dispose@<id>`: name it as written.
function memberName(prop) {
  return prop.getName().replace(/^__@(\w+)@\d+$/, '[Symbol.$1]');
}

function surface(label, file) {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.esnext.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [path.join(root, 'bindings-node', 'node_modules', '@types')],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${label}: cannot read ${file} (built?)`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exports = new Map();
  const classes = {};
  for (let sym of checker.getExportsOfModule(moduleSymbol)) {
    const name = sym.getName();
    if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    const decl = sym.valueDeclaration ?? sym.declarations?.[0];
    let kind = 'type';
    if (sym.flags & ts.SymbolFlags.Class) kind = 'class';
    else if (sym.flags & ts.SymbolFlags.Function) kind = 'function';
    else if (sym.flags & ts.SymbolFlags.Variable) kind = 'const';
    const type = decl && kind !== 'type' ? printType(checker, checker.getTypeOfSymbolAtLocation(sym, decl)) : '';
    exports.set(name, kind === 'class' ? 'class' : `${kind} ${type}`);
    if (kind === 'class') {
      const members = new Map();
      const instance = checker.getDeclaredTypeOfSymbol(sym);
      for (const prop of checker.getPropertiesOfType(instance)) {
        members.set(memberName(prop), memberText(checker, prop, decl));
      }
      for (const prop of checker.getPropertiesOfType(checker.getTypeOfSymbolAtLocation(sym, decl))) {
        if (prop.getName() === 'prototype') continue;
        members.set(`static ${memberName(prop)}`, memberText(checker, prop, decl));
      }
      classes[name] = members;
    }
  }
  return { exports, classes };
}

function memberText(checker, prop, at) {
  const decl = prop.valueDeclaration ?? prop.declarations?.[0] ?? at;
  const accessor = decl && (ts.isGetAccessorDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertySignature(decl));
  const readonly = decl && ts.isGetAccessorDeclaration(decl) ? 'get ' : '';
  const type = printType(checker, checker.getTypeOfSymbolAtLocation(prop, decl));
  return accessor ? `${readonly}${type}` : type;
}

const [a, b] = Object.keys(PACKAGES);
const sa = surface(a, PACKAGES[a]);
const sb = surface(b, PACKAGES[b]);
const problems = [];

function compareMaps(what, ma, mb, skipA = new Set(), skipB = new Set()) {
  for (const [name, text] of ma) {
    if (skipA.has(name)) continue;
    if (!mb.has(name)) problems.push(`${what}: ${name} is in ${a} only (${text})`);
    else if (mb.get(name) !== text) problems.push(`${what}: ${name} differs\n    ${a}: ${text}\n    ${b}: ${mb.get(name)}`);
  }
  for (const [name, text] of mb) {
    if (skipB.has(name)) continue;
    if (!ma.has(name)) problems.push(`${what}: ${name} is in ${b} only (${text})`);
  }
}

compareMaps('export', sa.exports, sb.exports, HOST_ONLY[a], HOST_ONLY[b]);
for (const cls of ['Sender', 'Receiver']) {
  if (!sa.classes[cls] || !sb.classes[cls]) {
    problems.push(`class ${cls} missing in ${!sa.classes[cls] ? a : b}`);
    continue;
  }
  compareMaps(`${cls}`, sa.classes[cls], sb.classes[cls], MEMBER_HOST_ONLY, MEMBER_HOST_ONLY);
}

const count = (s) => Object.values(s.classes).reduce((n, m) => n + m.size, 0) + s.exports.size;
if (problems.length) {
  console.error(`js_surface: the two JavaScript packages differ (${problems.length}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`js_surface: ${a} and ${b} declare the same surface (${count(sa)} names and members compared)`);
