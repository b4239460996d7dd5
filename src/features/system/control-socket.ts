import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { UnsealProgress } from '../keys/key-provider.ts';

/**
 * A local control channel between the CLI and a running server on the same data directory: a Unix
 * socket readable only by the owner of the data directory (mode 0600), one JSON request per line.
 * Filesystem permissions are the authentication, as for the data directory itself.
 */
export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'control.sock');
}

const request = z.discriminatedUnion('command', [
  z.object({ command: z.literal('status') }),
  z.object({ command: z.literal('seal') }),
  z.object({ command: z.literal('unseal'), share: z.string().min(1).max(1024) }),
  z.object({ command: z.literal('run_key_job'), jobId: z.string().regex(/^kj_[0-9a-z]{26}$/) }),
]);
export type ControlRequest = z.infer<typeof request>;
export type ControlReply =
  { ok: true; status: UnsealProgress } | { ok: false; code: string; message: string };

export interface ControlHandlers {
  status(): UnsealProgress;
  seal(): Promise<void>;
  submitShare(share: string): Promise<UnsealProgress>;
  /** Starts (or resumes) a key job in the server, in the background, with the server's throttle. */
  runKeyJob(jobId: string): Promise<void>;
}

export async function listenControlSocket(dataDir: string, handlers: ControlHandlers): Promise<net.Server> {
  const file = controlSocketPath(dataDir);
  fs.rmSync(file, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 8192) return socket.destroy();
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      buffer = '';
      void answer(line, handlers).then((reply) => socket.end(JSON.stringify(reply) + '\n'));
    });
    socket.on('error', () => undefined);
  });
  const previousMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, resolve));
  } finally {
    process.umask(previousMask);
  }
  fs.chmodSync(file, 0o600);
  return server;
}

async function answer(line: string, handlers: ControlHandlers): Promise<ControlReply> {
  try {
    const parsed = request.safeParse(JSON.parse(line));
    if (!parsed.success) return { ok: false, code: 'validation_failed', message: 'Unknown control request' };
    const req = parsed.data;
    if (req.command === 'seal') await handlers.seal();
    if (req.command === 'unseal') return { ok: true, status: await handlers.submitShare(req.share) };
    if (req.command === 'run_key_job') await handlers.runKeyJob(req.jobId);
    return { ok: true, status: handlers.status() };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: 'internal', message: 'Control request failed' };
  }
}

/** Sends one request to the running server; `undefined` when no server listens on this data directory. */
export async function sendControl(dataDir: string, req: ControlRequest): Promise<ControlReply | undefined> {
  const file = controlSocketPath(dataDir);
  if (!fs.existsSync(file)) return undefined;
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(file);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(req) + '\n'));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(data) as ControlReply);
      } catch {
        reject(new Error('The running server sent an unreadable control reply'));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(undefined);
      else reject(error);
    });
  });
}
