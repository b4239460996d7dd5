// Sensitive-data detection (DLP): the scanner over chat text, one message at a time as ingest calls
// it, against a single plain regular-expression pass over the same messages (what a regex-only
// detector costs at least, with no validation). "Chat text" is ordinary lines with one in five from
// the labelled corpus (cards, IDs, orders, prices, tracking numbers…); "dense" is the corpus alone.
// Recall and false positives are computed on the corpus in the same run. MB = 10^6 UTF-8 bytes.
// Then consent checks and erasure (bench/lib/privacy-ops.ts): the suite reports all three targets.
import { buildCorpus, measure } from '../../src/features/dlp/corpus.ts';
import { scan } from '../../src/features/dlp/scanner.ts';
import { measurePrivacyOps, privacyOpsBaselines } from '../lib/privacy-ops.ts';
import { alternate, percentile } from '../lib/timing.ts';
import type { BenchSuite } from '../lib/suite.ts';

const BUDGET_MS = 12_000;
const CHAT = [
  'Hi, is my parcel coming today?',
  '好的，谢谢你的帮助！',
  'Can I change the delivery address please',
  '请问什么时候发货？我等了很久了',
  'Thanks a lot, have a nice day :)',
  '没问题，我明天再来问',
  'The blue one in size M, two of them',
  '可以开发票吗？抬头是公司名称',
];
const BASELINE = /\d[\d -]{6,}\d|[^\s@]{1,64}@[^\s@]{1,255}/g;

function bytesOf(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
}

function chatLines(corpus: readonly string[], count: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++)
    lines.push(i % 5 === 0 ? corpus[(i / 5) % corpus.length]! : CHAT[i % CHAT.length]!);
  return lines;
}

const suite: BenchSuite = {
  name: 'privacy',
  baselines: {
    'dlp.scan_mb_per_s': ['dlp.regex_baseline_mb_per_s'],
    'dlp.scan_dense_mb_per_s': ['dlp.regex_baseline_dense_mb_per_s'],
    ...privacyOpsBaselines,
  },
  async run() {
    const corpus = buildCorpus(8, 2000);
    const quality = measure(corpus, scan);
    const dense = corpus.map((l) => l.text);
    const chat = chatLines(dense, 20_000);
    const chatBytes = bytesOf(chat);
    const denseBytes = bytesOf(dense);
    let sink = 0;
    const scanAll = (lines: readonly string[], bytes: number) => () => {
      for (const line of lines) sink += scan(line).length;
      return bytes;
    };
    const regexAll = (lines: readonly string[], bytes: number) => () => {
      for (const line of lines) {
        BASELINE.lastIndex = 0;
        while (BASELINE.exec(line)) sink++;
      }
      return bytes;
    };
    const rates = await alternate(BUDGET_MS, {
      chat: scanAll(chat, chatBytes),
      chatRegex: regexAll(chat, chatBytes),
      dense: scanAll(dense, denseBytes),
      denseRegex: regexAll(dense, denseBytes),
    });
    const perMessage: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const line of chat.slice(0, 2000)) {
        const t = performance.now();
        sink += scan(line).length;
        perMessage.push((performance.now() - t) * 1000);
      }
    }
    if (sink < 0) throw new Error('unreachable');
    return {
      'dlp.scan_mb_per_s': rates.chat / 1e6,
      'dlp.regex_baseline_mb_per_s': rates.chatRegex / 1e6,
      'dlp.scan_dense_mb_per_s': rates.dense / 1e6,
      'dlp.regex_baseline_dense_mb_per_s': rates.denseRegex / 1e6,
      'dlp.scan_message_p99_us': percentile(perMessage, 99),
      'dlp.recall': quality.recall,
      'dlp.false_positive_pct': quality.falsePositivePct,
      ...(await measurePrivacyOps()),
    };
  },
};

export default suite;
