import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCorpus, buildOldIdCorpus, measure } from '../src/features/dlp/corpus.ts';
import { scan } from '../src/features/dlp/scanner.ts';

test('on the labelled corpus, recall on valid cards and IDs is at least 0.99 and false positives at most 1%', () => {
  const corpus = buildCorpus(8, 2000);
  const result = measure(corpus, (text) => scan(text, { maxBirthYear: 2026 }));
  console.log(
    `dlp.recall=${result.recall.toFixed(4)} dlp.false_positive_pct=${result.falsePositivePct.toFixed(3)} ` +
      `(${result.positives} positives, ${result.negatives} negatives)`,
  );
  assert.ok(result.positives >= 4000 && result.negatives >= 8000);
  assert.ok(result.recall >= 0.99, `recall ${result.recall}`);
  assert.ok(result.falsePositivePct <= 1, `false positives ${result.falsePositivePct}%`);
});

test('another seed holds the same bounds (the corpus is not tuned to one draw)', () => {
  const result = measure(buildCorpus(20261129, 1000), scan);
  assert.ok(result.recall >= 0.99, `recall ${result.recall}`);
  assert.ok(result.falsePositivePct <= 1, `false positives ${result.falsePositivePct}%`);
});

test('the corpus also contains IBANs, e-mails and phones that the scanner finds', () => {
  const corpus = buildCorpus(8, 500);
  for (const label of ['iban', 'email', 'phone'] as const) {
    const lines = corpus.filter((l) => l.label === label);
    const hits = lines.filter((l) =>
      scan(l.text).some((f) => f.kind === l.expected[0]!.kind && f.start === l.expected[0]!.start),
    );
    assert.ok(hits.length / lines.length >= 0.95, `${label}: ${hits.length}/${lines.length}`);
  }
});

test('first-generation 15-digit IDs after an ID word: recall at least 0.99, no 15-digit non-ID taken for one', () => {
  const corpus = buildOldIdCorpus(15, 1000);
  const ids = measure(corpus, (text) => scan(text).filter((f) => f.kind === 'cn_id'));
  const all = measure(corpus, (text) => scan(text));
  console.log(
    `dlp.old_id.recall=${ids.recall.toFixed(4)} dlp.old_id.false_positive_pct=${ids.falsePositivePct.toFixed(3)} ` +
      `(any kind: ${all.falsePositivePct.toFixed(3)}%; ${ids.positives} positives, ${ids.negatives} negatives)`,
  );
  assert.ok(ids.positives >= 1000 && ids.negatives >= 4000);
  assert.ok(ids.recall >= 0.99, `recall ${ids.recall}`);
  assert.ok(ids.falsePositivePct <= 0.1, `15-digit non-IDs taken for IDs: ${ids.falsePositivePct}%`);
  assert.ok(all.falsePositivePct <= 1, `false positives of any kind ${all.falsePositivePct}%`);
});

test('the main corpus keeps its bounds with the 15-digit detector on', () => {
  const result = measure(buildCorpus(8, 2000), (text) => scan(text, { maxBirthYear: 2026 }));
  assert.ok(result.recall >= 0.99 && result.falsePositivePct <= 1, JSON.stringify(result.falsePositivePct));
});
