import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert } from '../components/error-alert.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api, ApiError } from '../lib/api.ts';

interface Template {
  channelId: string;
  name: string;
  language: string;
  category: string;
  status: string;
  parameters: string[];
  usable: boolean;
}
interface Campaign {
  id: string;
  name: string;
  status: string;
  stopReason: string | null;
  template: { name: string; language: string };
}
interface Results {
  total: number;
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  optedOut: number;
  unknown: number;
  unknownHint: string | null;
  failures: { code: number; count: number; hint: string }[];
}

const STATUSES = ['draft', 'running', 'paused', 'cancelled', 'stopped', 'done'];
const COMMANDS: Record<string, string[]> = {
  draft: ['start', 'cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
};
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Templates, a segment with its count, the campaign builder with a preview, and live progress. */
export function CampaignsPage() {
  const { t } = useI18n();
  const [templates, setTemplates] = useState<Template[]>([]);
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [results, setResults] = useState<Record<string, Results>>({});
  const [error, setError] = useState<MessageKey | null>(null);
  // The server refused this operator (no `manageCampaigns`): show why, no builder and no polling.
  const [refused, setRefused] = useState(false);
  const [form, setForm] = useState({
    name: '',
    template: '',
    tags: '',
    tagsAny: '',
    tagsNone: '',
    countries: '',
    languages: '',
    activeWithin: '',
    inactiveFor: '',
    params: '{}',
    rate: '80',
    cap: '',
    quiet: '',
    scheduledAt: '',
  });
  const [preview, setPreview] = useState<{ recipients: number; body: string } | null>(null);
  const [segmentCount, setSegmentCount] = useState<number | null>(null);
  const [synced, setSynced] = useState<number | null>(null);
  const fail = (e: unknown) => setError(errorKey(e));
  const failLoad = (e: unknown) => {
    if (e instanceof ApiError && e.code === 'forbidden') setRefused(true);
    fail(e);
  };

  const load = useCallback(() => {
    api<{ data: Template[] }>('GET', '/api/v1/campaign-templates').then(
      (r) => setTemplates(r.data),
      failLoad,
    );
    api<{ data: Campaign[] }>('GET', '/api/v1/campaigns').then((r) => {
      setCampaigns(r.data);
      for (const c of r.data.filter((c) => c.status !== 'draft'))
        api<{ results: Results }>('GET', `/api/v1/campaigns/${c.id}`).then(
          (d) => setResults((prev) => ({ ...prev, [c.id]: d.results })),
          fail,
        );
    }, failLoad);
  }, []);
  useEffect(() => {
    if (refused) return;
    load();
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, [load, refused]);

  const days = (value: string) => (value ? Number(value) : undefined);
  // Filters over plain columns only: the server answers with a count, never with members.
  const segment = () => ({
    tagsAll: list(form.tags),
    tagsAny: list(form.tagsAny),
    tagsNone: list(form.tagsNone),
    countries: list(form.countries).map((c) => c.toUpperCase()),
    languages: list(form.languages).map((l) => l.toLowerCase()),
    activeWithinDays: days(form.activeWithin),
    inactiveForDays: days(form.inactiveFor),
  });
  const body = () => {
    const tpl = templates.find((x) => `${x.channelId}|${x.name}|${x.language}` === form.template);
    const [start, end] = list(form.quiet).map(Number);
    return {
      name: form.name || 'Campaign',
      channelId: tpl?.channelId ?? '',
      template: { name: tpl?.name ?? '', language: tpl?.language ?? '' },
      parameters: JSON.parse(form.params || '{}') as unknown,
      segment: segment(),
      ratePerSecond: Number(form.rate),
      // datetime-local is the operator's local time; the API takes an instant.
      ...(form.scheduledAt ? { scheduledAt: new Date(form.scheduledAt).toISOString() } : {}),
      ...(form.cap ? { dailyCap: Number(form.cap) } : {}),
      ...(start !== undefined && end !== undefined ? { quietHours: { start, end } } : {}),
    };
  };
  const run = (fn: () => Promise<unknown>) => {
    try {
      fn().then(() => setError(null), fail);
    } catch {
      setError('campaigns.badParameters');
    }
  };
  const field = (key: keyof typeof form, label: MessageKey, type = 'text') => (
    <label>
      {t(label)}
      <input type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </label>
  );

  if (refused)
    return (
      <div className="pad">
        <div className="page-head">
          <h1>{t('campaigns.title')}</h1>
        </div>
        <ErrorAlert error={error} />
      </div>
    );

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('campaigns.title')}</h1>
      </div>
      <ErrorAlert error={error} />
      <h2>{t('campaigns.templates')}</h2>
      <p>
        <button
          type="button"
          onClick={() => {
            setSynced(null);
            // Every channel of the tenant: the server lists each one's templates from the Graph API.
            api<{ synced: number }>('POST', '/api/v1/campaign-templates/sync', {}).then((r) => {
              setError(null);
              setSynced(r.synced);
              load();
            }, fail);
          }}
        >
          {t('campaigns.sync')}
        </button>{' '}
        {synced !== null && (
          <span role="status" data-testid="template-sync">
            {t('campaigns.synced', { n: String(synced) })}
          </span>
        )}
      </p>
      <table data-testid="campaign-templates">
        <thead>
          <tr>
            <th>{t('campaigns.template')}</th>
            <th>{t('campaigns.language')}</th>
            <th>{t('campaigns.category')}</th>
            <th>{t('campaigns.status')}</th>
            <th>{t('campaigns.placeholders')}</th>
          </tr>
        </thead>
        <tbody>
          {templates.map((x) => (
            <tr key={`${x.channelId}|${x.name}|${x.language}`}>
              <td>{x.name}</td>
              <td>{x.language}</td>
              <td>{x.category}</td>
              <td>{x.usable ? t('campaigns.usable') : x.status}</td>
              <td>{x.parameters.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('campaigns.builder')}</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        {field('name', 'campaigns.name')}
        <label>
          {t('campaigns.template')}
          <select value={form.template} onChange={(e) => setForm({ ...form, template: e.target.value })}>
            <option value="" />
            {templates
              .filter((x) => x.usable)
              .map((x) => (
                <option
                  key={`${x.channelId}|${x.name}|${x.language}`}
                  value={`${x.channelId}|${x.name}|${x.language}`}
                >
                  {x.name} ({x.language})
                </option>
              ))}
          </select>
        </label>
        {field('tags', 'campaigns.tags')}
        {field('tagsAny', 'campaigns.tagsAny')}
        {field('tagsNone', 'campaigns.tagsNone')}
        {field('countries', 'campaigns.countries')}
        {field('languages', 'campaigns.languages')}
        {field('activeWithin', 'campaigns.activeWithin', 'number')}
        {field('inactiveFor', 'campaigns.inactiveFor', 'number')}
        {field('params', 'campaigns.parameters')}
        {field('rate', 'campaigns.rate', 'number')}
        {field('cap', 'campaigns.dailyCap', 'number')}
        {field('quiet', 'campaigns.quietHours')}
        {field('scheduledAt', 'campaigns.scheduledAt', 'datetime-local')}
        <button
          type="button"
          onClick={() =>
            run(() =>
              api<{ count: number }>('POST', '/api/v1/segments/preview', { definition: segment() }).then(
                (r) => setSegmentCount(r.count),
              ),
            )
          }
        >
          {t('campaigns.countSegment')}
        </button>
        <button
          type="button"
          onClick={() =>
            run(() =>
              api<{ recipients: number; body: string }>('POST', '/api/v1/campaigns/preview', body()).then(
                setPreview,
              ),
            )
          }
        >
          {t('campaigns.preview')}
        </button>
        <button type="button" onClick={() => run(() => api('POST', '/api/v1/campaigns', body()).then(load))}>
          {t('campaigns.create')}
        </button>
      </form>
      {segmentCount !== null && (
        <p data-testid="segment-count">{t('campaigns.segmentCount', { n: String(segmentCount) })}</p>
      )}
      {preview && (
        <p data-testid="campaign-preview">
          {t('campaigns.recipients', { n: String(preview.recipients) })} — {preview.body}
        </p>
      )}
      <h2>{t('campaigns.progress')}</h2>
      <table data-testid="campaigns">
        <thead>
          <tr>
            <th>{t('campaigns.name')}</th>
            <th>{t('campaigns.status')}</th>
            <th>{t('campaigns.results')}</th>
            <th>{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {campaigns.map((c) => {
            const r = results[c.id];
            return (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>
                  {STATUSES.includes(c.status) ? t(`campaigns.status.${c.status}` as MessageKey) : c.status}
                  {c.stopReason ? ` (${c.stopReason})` : ''}
                </td>
                <td>
                  {r &&
                    t('campaigns.counts', {
                      total: String(r.total),
                      queued: String(r.queued),
                      sent: String(r.sent),
                      delivered: String(r.delivered),
                      read: String(r.read),
                      failed: String(r.failed),
                      optedOut: String(r.optedOut),
                    })}
                  {r?.failures.map((f) => (
                    <div key={f.code}>
                      {f.code} × {f.count}: {f.hint}
                    </div>
                  ))}
                  {r?.unknownHint && (
                    <div>
                      ? × {r.unknown}: {r.unknownHint}
                    </div>
                  )}
                </td>
                <td>
                  {(COMMANDS[c.status] ?? []).map((cmd) => (
                    <button
                      key={cmd}
                      type="button"
                      onClick={() => run(() => api('POST', `/api/v1/campaigns/${c.id}/${cmd}`).then(load))}
                    >
                      {t(`campaigns.cmd.${cmd}` as MessageKey)}
                    </button>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
