import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, scrubText } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('debug', sink) };
}

test('secret and personal fields are censored by key, wherever they sit', () => {
  const { lines, logger } = capture();
  logger.info(
    {
      phone: '+8613812345678',
      contact: { email: 'a@b.co', name: 'Zhang' },
      headers: { authorization: 'Bearer abc' },
    },
    'stored',
  );
  const out = lines.join('');
  for (const secret of ['8613812345678', 'a@b.co', 'Zhang', 'Bearer abc'])
    assert.ok(!out.includes(secret), secret);
  assert.match(out, /\[redacted\]/);
});

test('phone- and e-mail-shaped text is scrubbed from messages, but addresses and short numbers stay', () => {
  assert.equal(scrubText('call +86 138 1234 5678 or j@x.com'), 'call [number] or [email]');
  assert.equal(scrubText('listening on 127.0.0.1:8080, 3 of 5'), 'listening on 127.0.0.1:8080, 3 of 5');
  const { lines, logger } = capture();
  logger.warn(`lookup for 8613812345678 failed`);
  assert.ok(!lines.join('').includes('8613812345678'));
});
