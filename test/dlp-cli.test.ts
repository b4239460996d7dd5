import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './support/cli.ts';

test('chatvault dlp scan prints one JSON line per finding with original offsets, never the matched text', async () => {
  const input =
    'hi 😀 card ４２４２ ４２４２ ４２４２ ４２４２\n身份证 11010519491231002X\norder 2026112912345678\n';
  const result = await runCli(['dlp', 'scan'], {}, input);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => Object.keys(l).sort()),
    [
      ['confidence', 'end', 'kind', 'start'],
      ['confidence', 'end', 'kind', 'start'],
    ],
  );
  assert.deepEqual(
    lines.map((l) => [l.kind, input.slice(l.start as number, l.end as number)]),
    [
      ['card', '４２４２ ４２４２ ４２４２ ４２４２'],
      ['cn_id', '11010519491231002X'],
    ],
  );
  assert.ok(!result.stdout.includes('4242') && !result.stdout.includes('1101'));
});

test('chatvault dlp scan prints nothing for clean text and refuses a bad confidence floor', async () => {
  const clean = await runCli(['dlp', 'scan'], {}, 'where is my parcel? order #58213\n');
  assert.equal(clean.code, 0);
  assert.equal(clean.stdout, '');
  const bad = await runCli(['dlp', 'scan', '--min-confidence', '2'], {}, 'x');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^chatvault: .+\n$/);
});
