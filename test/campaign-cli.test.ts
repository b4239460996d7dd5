import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { runCli } from './support/cli.ts';
import { tempDir } from './support/targets.ts';

let emulator: Emulator;
const dataDir = tempDir('campaign-cli');
const env = { CHATVAULT_DATA_DIR: dataDir } as Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

before(async () => {
  emulator = await startEmulator({
    appSecret: 'campaign-cli-secret-0123456789',
    accessToken: 'campaign-cli-token-0123456789',
    verifyToken: 'campaign-cli-verify',
  });
  env.CHATVAULT_GRAPH_API_BASE = emulator.url;
  assert.equal((await cli('init', '--shares', '3', '--threshold', '2', '--auto-unseal')).code, 0);
  assert.equal((await cli('tenant', 'create', '--slug', 'shop', '--name', 'Shop')).code, 0);
});
after(async () => {
  await emulator.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('chatvault campaign: templates sync from the Graph API; bad input exits non-zero with one line', async () => {
  const config = path.join(dataDir, 'channel.json');
  fs.writeFileSync(config, JSON.stringify(emulator.channel));
  const added = await cli('channel', 'add', '--tenant', 'shop', '--config', config, '--json');
  assert.equal(added.code, 0, added.stderr);
  const channelId = (JSON.parse(added.stdout) as { id: string }).id;

  const listed = await cli('campaign', 'templates', '--tenant', 'shop', '--channel', channelId, '--json');
  assert.equal(listed.code, 0, listed.stderr);
  const templates = JSON.parse(listed.stdout) as { name: string; usable: boolean }[];
  assert.ok(templates.some((t) => t.name === 'summer_sale' && t.usable));
  assert.ok(templates.some((t) => t.name === 'miracle_cure' && !t.usable));

  const file = path.join(dataDir, 'campaign.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: 'x',
      channelId,
      template: { name: 'miracle_cure', language: 'en_US' },
      segment: {},
    }),
  );
  const refused = await cli('campaign', 'create', '--tenant', 'shop', '--file', file);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr.trim(), /REJECTED, not APPROVED/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);

  const badId = await cli('campaign', 'status', '--tenant', 'shop', '--id', 'nope');
  assert.notEqual(badId.code, 0);
  assert.match(badId.stderr, /not a campaign id/);
});
