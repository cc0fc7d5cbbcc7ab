'use strict';
// The README's JS snippets must stay the ones `npm run test:types` compiles under
// `tsc --strict` (__test__/types/readme.ts): a snippet edited in one place and not the other
// would no longer be checked.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const trimLines = (text) => text.split('\n').map((l) => l.trim()).join('\n').trim();

test('every README js snippet is compiled, unchanged, by the types check', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const compiled = trimLines(fs.readFileSync(path.join(__dirname, 'types', 'readme.ts'), 'utf8'));
  const snippets = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(snippets.length >= 5, `found ${snippets.length} snippets`);
  for (const snippet of snippets) {
    // `require(...)` lines are replaced by the typed file's import (a require is `any` in TS).
    const body = trimLines(snippet.split('\n').filter((l) => !/\brequire\(/.test(l)).join('\n'));
    assert.ok(compiled.includes(body), `README snippet not in __test__/types/readme.ts:\n${body}`);
  }
});
