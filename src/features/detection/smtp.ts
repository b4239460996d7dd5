import net from 'node:net';

export interface Mail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

const SAFE_HEADER = /^[^\r\n]{0,998}$/;

/**
 * A minimal SMTP client (RFC 5321: EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT) for alerts to
 * a relay on a trusted network (typically localhost). No TLS and no AUTH: point it at a local MTA.
 * @example await sendMail({ host: '127.0.0.1', port: 25 }, { from, to: [a], subject, text });
 */
export async function sendMail(server: { host: string; port: number }, mail: Mail, timeoutMs = 10_000) {
  for (const h of [mail.from, mail.subject, ...mail.to])
    if (!SAFE_HEADER.test(h)) throw new Error('mail header contains a line break');
  const socket = net.connect({ host: server.host, port: server.port });
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error('SMTP timeout')));
  let buffer = '';
  const waiters: Array<(line: string) => void> = [];
  const replies: string[] = [];
  let failure: Error | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      // Multi-line replies continue with "NNN-"; the last line is "NNN ".
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        const w = waiters.shift();
        if (w) w(line);
        else replies.push(line);
      }
    }
  });
  const errored = new Promise<never>((_, reject) =>
    socket.on('error', (err) => {
      failure = err;
      reject(err);
    }),
  );
  errored.catch(() => undefined);
  const reply = () =>
    Promise.race([
      new Promise<string>((resolve) => {
        const queued = replies.shift();
        if (queued !== undefined) resolve(queued);
        else waiters.push(resolve);
      }),
      errored,
    ]);
  async function expect(code: string, command?: string) {
    if (command !== undefined) socket.write(`${command}\r\n`);
    const line = await reply();
    if (!line.startsWith(code))
      throw new Error(`SMTP ${command?.split(' ')[0] ?? 'greeting'} refused: ${line.slice(0, 3)}`);
  }
  try {
    await expect('220');
    await expect('250', 'EHLO chatvault');
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
  }
  if (failure) throw failure;
}

function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
