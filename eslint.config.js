'use strict';
const js = require('@eslint/js');

const nodeGlobals = Object.fromEntries(
  ['require', 'module', 'process', 'console', '__dirname', '__filename', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'fetch', 'AbortController', 'AbortSignal', 'performance', 'structuredClone', 'Buffer'].map((g) => [g, 'readonly']),
);

module.exports = [
  { ignores: ['binding.js', 'binding.d.ts', 'target/**', 'node_modules/**', '__test__/types/**', 'index.d.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'commonjs', globals: nodeGlobals },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_' }] },
  },
];
