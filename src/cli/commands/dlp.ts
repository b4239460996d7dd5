import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { scan } from '../../features/dlp/scanner.ts';

/** Standard input larger than this is refused (scan exports in parts). */
const MAX_INPUT_BYTES = 256 * 1024 * 1024;
const minConfidence = z.coerce.number().min(0).max(1);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) throw new ValidationError('Input is larger than 256 MiB');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function registerDlpCommands(program: Command): void {
  const dlp = program.command('dlp').description('Sensitive-data detection');

  dlp
    .command('scan')
    .description(
      'Scan UTF-8 text from standard input; print one JSON line per finding (kind, start, end, confidence), ' +
        'never the matched text. Offsets are UTF-16 code units into the whole input.',
    )
    .option('--min-confidence <0..1>', 'drop findings below this confidence', '0')
    .action(async (opts: { minConfidence: string }) => {
      const floor = parseInput(minConfidence, opts.minConfidence);
      const text = await readStdin();
      const out: string[] = [];
      for (const f of scan(text)) {
        if (f.confidence < floor) continue;
        out.push(JSON.stringify({ kind: f.kind, start: f.start, end: f.end, confidence: f.confidence }));
      }
      if (out.length > 0) process.stdout.write(out.join('\n') + '\n');
    });
}
