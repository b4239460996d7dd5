import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { ConfigError } from '../../lib/errors.ts';

export interface Mail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

export interface SmtpServer {
  readonly host: string;
  readonly port: number;
}

/**
 * Transport security for outgoing mail. `opportunistic`: STARTTLS whenever the server offers it,
 * plain text otherwise. `required`: a server without STARTTLS is refused before any envelope is
 * sent. Once TLS is negotiated the certificate is always verified (against `ca` when given, else the
 * system's roots): a certificate that fails is an error, never a silent fall-back to plain text.
 */
export interface SmtpTlsOptions {
  readonly mode: 'opportunistic' | 'required';
  /** PEM CA certificates that sign the server's certificate (replaces the system roots). */
  readonly ca?: string | Buffer;
  readonly timeoutMs?: number;
}

export type Mailer = (server: SmtpServer, mail: Mail) => Promise<void>;

const SAFE_HEADER = /^[^\r\n]{0,998}$/;

/** The PEM CA file of `CHATVAULT_SMTP_CA_FILE`, read once at startup; unreadable or not PEM is a ConfigError. */
export function readCaFile(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError([
      `CHATVAULT_SMTP_CA_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
    ]);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError([`CHATVAULT_SMTP_CA_FILE: ${file} holds no PEM certificate`]);
  return pem;
}

/** A mail sender bound to the deployment's TLS settings (`CHATVAULT_SMTP_TLS`, `CHATVAULT_SMTP_CA_FILE`). */
export function createMailer(options: SmtpTlsOptions = { mode: 'opportunistic' }): Mailer {
  return (server, mail) => sendMail(server, mail, options);
}

/** Replies from the server: each one all its lines ("250-…" continuations and the final "250 …"). */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: string[][] = [];
  private readonly waiters: Array<(reply: string[]) => void> = [];
  private readonly onData = (chunk: string) => this.take(chunk);

  constructor(
    private socket: net.Socket,
    private readonly errored: Promise<never>,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', this.onData);
  }

  private take(chunk: string) {
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      this.lines.push(line);
      // Multi-line replies continue with "NNN-"; the last line is "NNN " (or just "NNN").
      if (/^\d{3}( |$)/.test(line)) {
        const reply = this.lines;
        this.lines = [];
        const w = this.waiters.shift();
        if (w) w(reply);
        else this.replies.push(reply);
      }
    }
  }

  next(): Promise<string[]> {
    return Promise.race([
      new Promise<string[]>((resolve) => {
        const queued = this.replies.shift();
        if (queued !== undefined) resolve(queued);
        else this.waiters.push(resolve);
      }),
      this.errored,
    ]);
  }

  /** True when the server sent anything beyond the replies read so far (e.g. injected after 220). */
  get hasUnread(): boolean {
    return this.buffer.length > 0 || this.lines.length > 0 || this.replies.length > 0;
  }

  /** Reads from another socket from now on (the TLS socket over the same connection). */
  switchTo(socket: net.Socket) {
    this.socket.off('data', this.onData);
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', this.onData);
  }
}

/**
 * A minimal SMTP client (RFC 5321: EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT) with STARTTLS
 * (RFC 3207) as {@link SmtpTlsOptions} says. No AUTH: point it at a relay that accepts the sender.
 * @example await sendMail({ host: '127.0.0.1', port: 25 }, { from, to: [a], subject, text }, { mode: 'required' });
 */
export async function sendMail(
  server: SmtpServer,
  mail: Mail,
  options: SmtpTlsOptions = { mode: 'opportunistic' },
): Promise<void> {
  for (const h of [mail.from, mail.subject, ...mail.to])
    if (!SAFE_HEADER.test(h)) throw new Error('mail header contains a line break');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const plain = net.connect({ host: server.host, port: server.port });
  let socket: net.Socket = plain;
  let failure: Error | undefined;
  let fail: (error: Error) => void = () => undefined;
  const errored = new Promise<never>((_, reject) => {
    fail = (error) => {
      failure ??= error;
      reject(failure);
    };
  });
  errored.catch(() => undefined);
  const watch = (s: net.Socket) => {
    s.setTimeout(timeoutMs, () => s.destroy(new Error('SMTP timeout')));
    s.on('error', fail);
    s.on('close', () => fail(new Error('SMTP connection closed')));
  };
  watch(plain);
  const reader = new ReplyReader(plain, errored);

  async function expect(code: string, command?: string): Promise<string[]> {
    if (command !== undefined) socket.write(`${command}\r\n`);
    const reply = await reader.next();
    const last = reply.at(-1)!;
    if (!last.startsWith(code))
      throw new Error(`SMTP ${command?.split(' ')[0] ?? 'greeting'} refused: ${last.slice(0, 3)}`);
    return reply;
  }

  try {
    await expect('220');
    const capabilities = await expect('250', 'EHLO chatvault');
    const offersTls = capabilities.some((l) => /^250[ -]STARTTLS\s*$/i.test(l));
    if (offersTls) {
      await expect('220', 'STARTTLS');
      // Anything the server pipelined after its 220 came in clear text: refuse it (RFC 3207 §5).
      if (reader.hasUnread) throw new Error('SMTP server sent data after STARTTLS');
      socket = await upgrade(plain, server.host, options.ca, errored);
      watch(socket);
      reader.switchTo(socket);
      await expect('250', 'EHLO chatvault');
    } else if (options.mode === 'required') {
      await expect('221', 'QUIT').catch(() => undefined);
      throw new Error('SMTP server does not offer STARTTLS and TLS is required');
    }
    await expect('250', `MAIL FROM:<${mail.from}>`);
    for (const to of mail.to) await expect('250', `RCPT TO:<${to}>`);
    await expect('354', 'DATA');
    const body = mail.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const headers = [
      `From: <${mail.from}>`,
      `To: ${mail.to.map((t) => `<${t}>`).join(', ')}`,
      `Subject: ${encodeHeader(mail.subject)}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ];
    await expect('250', `${headers.join('\r\n')}\r\n\r\n${body}\r\n.`);
    await expect('221', 'QUIT').catch(() => undefined);
  } finally {
    socket.destroy();
    plain.destroy();
  }
}

/** TLS over the connected socket, the certificate verified for `host` (a name or an IP address). */
function upgrade(
  socket: net.Socket,
  host: string,
  ca: string | Buffer | undefined,
  errored: Promise<never>,
): Promise<tls.TLSSocket> {
  socket.removeAllListeners('data');
  socket.setTimeout(0);
  const secure = tls.connect({
    socket,
    host,
    ...(net.isIP(host) ? {} : { servername: host }),
    ...(ca ? { ca } : {}),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  return Promise.race([
    new Promise<tls.TLSSocket>((resolve, reject) => {
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', (error: Error) =>
        reject(new Error(`SMTP TLS handshake failed: ${error.message}`, { cause: error })),
      );
    }),
    errored,
  ]);
}

function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
