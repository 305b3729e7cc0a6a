// Test equipment: dvsim's merge of a configuration (as tests/tree/dvsim_eff.c), read with the
// reference Hjson implementation (npm package hjson), to cross-check the C reader on the same
// files.  Usage: node dvsim_eff.js CFG PROJ_ROOT -- KEY ...  (prints KEY=<compact JSON>)
'use strict';
const fs = require('fs');
const Hjson = require('hjson');

function die(msg) {
  process.stderr.write('dvsim_eff.js: ' + msg + '\n');
  process.exit(2);
}

function isDefault(v) {
  return v === '' || v === 0 || v === -1 || v === false;
}

// dvsim flow/hjson.py set_target_attribute
function setAttr(target, key, val, path) {
  const old = target[key];
  if (old === undefined || old === null) {
    target[key] = val;
  } else if (Array.isArray(old)) {
    if (!Array.isArray(val)) die(path + ': conflicting types for key ' + key);
    target[key] = old.concat(val);
  } else if (typeof old !== typeof val) {
    die(path + ': incompatible value for key ' + key);
  } else if (JSON.stringify(old) === JSON.stringify(val) || isDefault(val)) {
    // nothing to do
  } else if (isDefault(old)) {
    target[key] = val;
  } else {
    die(path + ': conflicting value for key ' + key);
  }
}

function expand(target, s, depth) {
  if (depth > 32) die('circular wildcard expansion in ' + s);
  return s.replace(/{([A-Za-z0-9_]+)}/g, (m, name) => {
    const v = target[name];
    if (v === undefined) die('no value for wildcard ' + m);
    return Array.isArray(v) ? v.map((x) => expand(target, String(x), depth + 1)).join(' ')
                            : expand(target, String(v), depth + 1);
  });
}

function load(path, projRoot) {
  const target = { proj_root: projRoot };
  const work = [path];
  const seen = new Set([path]);
  while (work.length > 0) {
    const p = work.pop();
    const cfg = Hjson.parse(fs.readFileSync(p, 'utf8'));
    const imports = [];
    for (const [k, v] of Object.entries(cfg)) {
      if (k === 'import_cfgs') imports.push(...v);
      else setAttr(target, k, v, p);
    }
    for (const i of imports) {
      const x = expand(target, i, 0);
      if (seen.has(x)) die(x + ' is imported twice');
      seen.add(x);
      work.push(x);
    }
  }
  return target;
}

// dvsim flow/base.py _process_overrides
function overrides(target) {
  const done = new Set();
  for (const o of target.overrides || []) {
    if (done.has(o.name)) die('override for key ' + o.name + ' already exists');
    if (!(o.name in target) || typeof target[o.name] !== typeof o.value) die('override key ' + o.name);
    done.add(o.name);
    target[o.name] = o.value;
  }
}

const args = process.argv.slice(2);
const sep = args.indexOf('--');
if (args.length < 3 || sep !== 2) die('usage: node dvsim_eff.js CFG PROJ_ROOT -- KEY ...');
const target = load(args[0], args[1]);
overrides(target);
for (const key of args.slice(3)) {
  const v = target[key];
  process.stdout.write(key + '=' + (v === undefined ? '(absent)' : JSON.stringify(v)) + '\n');
}
