import type { BlastRadius } from './blast-radius.ts';
import type { IncidentJson, TimelineEntry } from './incident-core.ts';
import type { Review } from './incidents.schema.ts';
import type { NoticeJson } from './notices.ts';
import type { RegulatorDraft } from './regulator.ts';

const esc = (v: string | number | null | undefined) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A value as table text: lists joined, records as JSON, scalars as they are. */
function cellText(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('; ');
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

const rows = (pairs: Array<[string, unknown]>) =>
  pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(cellText(v))}</td></tr>`).join('');

/**
 * The auditor-readable incident report: one self-contained HTML page (no scripts, no external
 * resources) with the incident, timeline, blast radius totals, notices, regulator draft and review.
 * Customer ids only: no personal data.
 */
export function incidentReportHtml(r: {
  incident: IncidentJson;
  timeline: readonly TimelineEntry[];
  blast: BlastRadius;
  notices: readonly NoticeJson[];
  draft: RegulatorDraft;
  review: Review | null;
}): string {
  const { incident, blast, draft } = r;
  const noticeCounts = r.notices.reduce<Record<string, number>>((m, n) => {
    const k = `${n.channel}:${n.status ?? 'n/a'}`;
    m[k] = (m[k] ?? 0) + 1;
    return m;
  }, {});
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incident ${esc(incident.id)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4;width:30%}.overdue{color:#b00;font-weight:bold}</style>
</head><body>
<h1>Incident report ${esc(incident.id)}</h1>
<table>${rows([
    ['Title', incident.title],
    ['Severity', incident.severity],
    ['State', incident.state],
    ['Suspect', incident.suspect ? `${incident.suspect.type} ${incident.suspect.id}` : 'unknown'],
    ['Aware at (72 h clock start)', incident.awareAt],
    ['Opened by', incident.openedBy],
    ['Closed at', incident.closedAt ?? 'open'],
  ])}</table>
<h2>Reporting clocks</h2>
<table>${draft.deadlines.map((d) => `<tr><th>${esc(d.name)}</th><td class="${d.overdue ? 'overdue' : ''}">${esc(d.due)} (${d.overdue ? 'overdue' : `${d.hoursLeft} h left`})</td></tr>`).join('')}</table>
<h2>Blast radius</h2>
<table>${rows([
    ['Query', blast.query],
    ['Through audit seq', blast.throughSeq],
    ['Customers', blast.totals.customers],
    ['Records', blast.totals.records],
    ['Fields', blast.totals.fields],
    ['Digest (SHA-256)', blast.digest],
  ])}</table>
<h2>Notices</h2>
<table>${rows(Object.entries(noticeCounts))}</table>
<h2>Regulator draft: GDPR Art. 33(3)</h2>
<table>${rows(Object.entries(draft.gdprArt33))}</table>
<h2>Regulator draft: PIPL Art. 57</h2>
<table>${rows(Object.entries(draft.piplArt57))}</table>
${draft.missing.length ? `<p class="overdue">Still to complete: ${esc(draft.missing.join(', '))}</p>` : ''}
<h2>Timeline</h2>
<table><tr><th>Time</th><td><b>Actor · action · detail</b></td></tr>${r.timeline
    .map(
      (e) =>
        `<tr><th>${esc(e.at)}</th><td>${esc(e.actor)} · ${esc(e.kind)} · ${esc(JSON.stringify(e.detail))}${e.note ? `<br>${esc(e.note)}` : ''}</td></tr>`,
    )
    .join('')}</table>
<h2>Post-incident review</h2>
${
  r.review
    ? `<table>${rows([
        ['Cause', r.review.cause],
        ['Impact', r.review.impact],
        ['What worked', r.review.whatWorked],
        ['What did not', r.review.whatDidNot],
      ])}</table><table><tr><th>Action</th><td><b>Owner · due</b></td></tr>${r.review.actions.map((a) => `<tr><th>${esc(a.action)}</th><td>${esc(a.owner)} · ${esc(a.due)}</td></tr>`).join('')}</table>`
    : '<p>Not yet filed.</p>'
}
</body></html>
`;
}
