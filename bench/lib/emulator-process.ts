// The Cloud API emulator in a process of its own (`chatvault emulator --json`), as Meta is another
// machine: its clock stamps a send when the request arrives, not when a shared event loop gets round to
// it, and it takes no CPU time from the process being measured. Driven through `/_emulator/…`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { ChannelSettings, EmulatorSettingsInput } from '../../src/features/whatsapp/emulator/index.ts';

const main = path.resolve(import.meta.dirname, '../../src/main.ts');

/** A send as `/_emulator/sent` reports it. */
export interface RemoteSent {
  readonly id: string;
  readonly to: string;
  readonly template: string | undefined;
  readonly at: number;
  readonly callbackData: string | undefined;
}

/** A simulated customer as `/_emulator/customers` reports it (the fields the benches use). */
export interface RemoteCustomer {
  readonly phone: string;
  readonly waId: string | undefined;
  readonly profileName: string;
  readonly onWhatsApp: boolean;
  readonly marketingLimited: boolean;
  readonly optedOut: boolean;
}

export interface EmulatorProcess {
  readonly url: string;
  readonly channel: ChannelSettings;
  customers(): Promise<RemoteCustomer[]>;
  /** Accepted sends ever (the cursor for {@link sentFrom}). */
  sentTotal(): Promise<number>;
  /** Every accepted send from the `from`-th on (the emulator keeps the newest 100,000). */
  sentFrom(from: number): Promise<RemoteSent[]>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(settings: EmulatorSettingsInput): Promise<EmulatorProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-bench-emulator-'));
  const config = path.join(dir, 'emulator.json');
  fs.writeFileSync(config, JSON.stringify(settings), { mode: 0o600 });
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', main, 'emulator', '--port', '0', '--config', config, '--json'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const first = await firstLine(child);
    const started = JSON.parse(first) as { url: string; channel: ChannelSettings };
    const { url, channel } = started;
    const get = async <T>(route: string): Promise<T> => {
      const res = await fetch(`${url}/_emulator/${route}`, {
        headers: { authorization: `Bearer ${channel.accessToken}` },
      });
      if (!res.ok) throw new Error(`emulator ${route}: HTTP ${res.status}`);
      return (await res.json()) as T;
    };
    return {
      url,
      channel,
      customers: async () => (await get<{ data: RemoteCustomer[] }>('customers')).data,
      sentTotal: async () => (await get<{ sentTotal: number }>('stats')).sentTotal,
      async sentFrom(from) {
        const out: RemoteSent[] = [];
        for (let cursor = from; ;) {
          const page = await get<{ data: WireSent[]; next: number }>(`sent?from=${cursor}&limit=20000`);
          for (const s of page.data)
            out.push({
              id: s.id,
              to: s.to,
              template: s.template,
              at: Date.parse(s.at),
              callbackData: s.request.biz_opaque_callback_data,
            });
          if (page.data.length === 0 || page.next === cursor) return out;
          cursor = page.next;
        }
      },
      async close() {
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await gone;
        }
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

interface WireSent {
  id: string;
  to: string;
  template?: string;
  at: string;
  request: { biz_opaque_callback_data?: string };
}

/** The first line the emulator prints (its URL and channel), or the reason it never came. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('the emulator did not start within 30 s')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with code ${code} before it started`));
    });
  });
}
