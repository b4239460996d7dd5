import { useCallback, useEffect, useState } from 'react';
import { Dialog } from '../components/dialog.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';

const CATEGORIES = ['phone', 'name', 'email', 'attributes', 'message_content'] as const;
const TIERS = ['critical', 'high', 'medium', 'low'] as const;

interface Vendor {
  id: string;
  name: string;
  purpose: string;
  riskTier: string;
  dataCategories: string[];
  region: string;
  transferMechanism: string;
  dpaSignedAt: string | null;
  dpaExpiresAt: string | null;
  certifications: { kind: string; expiresAt: string }[];
  subProcessors: string[];
  breachNoticeHours: number;
  lastReviewAt: string | null;
  nextReviewAt: string;
  openFindings: number;
  owner: string;
  status: 'active' | 'suspended';
  suspendedReason: string | null;
}

interface ApiKey {
  id: string;
  prefix: string;
  label: string;
  scopes: Record<string, string>;
  fields: Record<string, string>;
  ipAllowlist: string[];
  expiresAt: string;
  lastUsedAt: string | null;
  status: 'active' | 'revoked' | 'expired';
}

/** The vendor register: agreements, reviews, suspension; each vendor's scoped, expiring API keys. */
export function VendorsPage() {
  const { t, dateTime } = useI18n();
  const [vendors, setVendors] = useState<Vendor[] | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const [done, setDone] = useState<MessageKey | null>(null);
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<Vendor | null>(null);

  const load = useCallback(() => {
    api<{ vendors: Vendor[] }>('GET', '/api/v1/vendors').then(
      (r) => setVendors(r.vendors),
      (e) => setError(errorKey(e)),
    );
  }, []);
  useEffect(load, [load]);

  const toggle = (v: Vendor) => {
    const reason = window.prompt(
      t(v.status === 'active' ? 'vendors.suspendReason' : 'vendors.reactivateReason'),
    );
    if (!reason) return;
    const path = `/api/v1/vendors/${v.id}/${v.status === 'active' ? 'suspend' : 'reactivate'}`;
    api('POST', path, { reason }).then(
      () => {
        setDone(v.status === 'active' ? 'vendors.suspended' : 'vendors.reactivated');
        setError(null);
        load();
      },
      (e) => setError(errorKey(e)),
    );
  };

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('vendors.title')}</h1>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t('vendors.add')}
        </button>
      </div>
      <p className="muted">{t('vendors.explain')}</p>
      {done && (
        <p role="status" className="notice">
          {t(done)}
        </p>
      )}
      <ErrorAlert error={error} />
      {!vendors ? (
        <p>{t('common.loading')}</p>
      ) : vendors.length === 0 ? (
        <p>{t('vendors.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('vendors.name')}</th>
              <th>{t('vendors.risk')}</th>
              <th>{t('vendors.categories')}</th>
              <th>{t('vendors.dpa')}</th>
              <th>{t('vendors.nextReview')}</th>
              <th>{t('vendors.findings')}</th>
              <th>{t('vendors.status')}</th>
              <th>{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {vendors.map((v) => (
              <tr key={v.id}>
                <td>
                  <strong>{v.name}</strong>
                  <br />
                  <span className="muted small">
                    {v.purpose} · {v.region} · {v.transferMechanism} · {t('vendors.owner')}: {v.owner}
                  </span>
                </td>
                <td>{v.riskTier}</td>
                <td>{v.dataCategories.join(', ') || '—'}</td>
                <td>
                  {v.dpaSignedAt ? dateTime(v.dpaSignedAt) : t('vendors.noDpa')}
                  <br />
                  <span className="muted small">
                    {t('vendors.expires')}: {dateTime(v.dpaExpiresAt)}
                  </span>
                </td>
                <td>{dateTime(v.nextReviewAt)}</td>
                <td>{v.openFindings}</td>
                <td>
                  <span className={v.status === 'active' ? 'ok' : 'bad'}>
                    {t(`vendors.state.${v.status}`)}
                  </span>
                  {v.suspendedReason && <div className="muted small">{v.suspendedReason}</div>}
                </td>
                <td className="row-actions">
                  <button type="button" onClick={() => setOpen(v)}>
                    {t('vendors.keys')}
                  </button>
                  <button
                    type="button"
                    className={v.status === 'active' ? 'danger' : ''}
                    onClick={() => toggle(v)}
                  >
                    {t(v.status === 'active' ? 'vendors.suspend' : 'vendors.reactivate')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {adding && (
        <VendorDialog
          onClose={() => setAdding(false)}
          onSaved={() => {
            setAdding(false);
            setDone('vendors.added');
            load();
          }}
        />
      )}
      {open && <KeysDialog vendor={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

function VendorDialog(props: { onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState({
    name: '',
    purpose: '',
    riskTier: 'medium',
    region: '',
    transferMechanism: '',
    dpaSignedAt: '',
    dpaExpiresAt: '',
    nextReviewAt: '',
    breachNoticeHours: '72',
    owner: '',
  });
  const [categories, setCategories] = useState<string[]>([]);
  const [error, setError] = useState<MessageKey | null>(null);
  const field = (key: keyof typeof form, label: MessageKey, type = 'text') => (
    <>
      <label htmlFor={`vendor-${key}`}>{t(label)}</label>
      <input
        id={`vendor-${key}`}
        type={type}
        value={form[key]}
        required={!['dpaSignedAt', 'dpaExpiresAt'].includes(key)}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </>
  );
  return (
    <Dialog title={t('vendors.add')} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api('POST', '/api/v1/vendors', {
            ...form,
            dataCategories: categories,
            dpaSignedAt: form.dpaSignedAt || null,
            dpaExpiresAt: form.dpaExpiresAt || null,
            breachNoticeHours: Number(form.breachNoticeHours),
          }).then(props.onSaved, (err) => setError(errorKey(err)));
        }}
      >
        {field('name', 'vendors.name')}
        {field('purpose', 'vendors.purpose')}
        <label htmlFor="vendor-risk">{t('vendors.risk')}</label>
        <select
          id="vendor-risk"
          value={form.riskTier}
          onChange={(e) => setForm({ ...form, riskTier: e.target.value })}
        >
          {TIERS.map((tier) => (
            <option key={tier} value={tier}>
              {tier}
            </option>
          ))}
        </select>
        <fieldset>
          <legend>{t('vendors.categories')}</legend>
          {CATEGORIES.map((c) => (
            <label key={c}>
              <input
                type="checkbox"
                checked={categories.includes(c)}
                onChange={(e) =>
                  setCategories(e.target.checked ? [...categories, c] : categories.filter((x) => x !== c))
                }
              />{' '}
              {c}
            </label>
          ))}
        </fieldset>
        {field('region', 'vendors.region')}
        {field('transferMechanism', 'vendors.transfer')}
        {field('dpaSignedAt', 'vendors.dpaSigned', 'date')}
        {field('dpaExpiresAt', 'vendors.expires', 'date')}
        {field('nextReviewAt', 'vendors.nextReview', 'date')}
        {field('breachNoticeHours', 'vendors.breachHours', 'number')}
        {field('owner', 'vendors.owner')}
        <div className="actions">
          <button type="submit" className="primary">
            {t('vendors.save')}
          </button>
          <button type="button" className="secondary" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
      <ErrorAlert error={error} />
    </Dialog>
  );
}

function KeysDialog(props: { vendor: Vendor; onClose: () => void }) {
  const { t, dateTime } = useI18n();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const [label, setLabel] = useState('');
  const [days, setDays] = useState('90');
  const [contacts, setContacts] = useState('read');
  const [phone, setPhone] = useState('pseudonym');
  const [ips, setIps] = useState('');
  const base = `/api/v1/vendors/${props.vendor.id}/keys`;

  const load = useCallback(() => {
    api<{ keys: ApiKey[] }>('GET', base).then(
      (r) => setKeys(r.keys),
      (e) => setError(errorKey(e)),
    );
  }, [base]);
  useEffect(load, [load]);

  return (
    <Dialog title={`${t('vendors.keys')}: ${props.vendor.name}`} onClose={props.onClose}>
      {token && (
        <div className="notice" role="status">
          <p>{t('vendors.tokenOnce')}</p>
          <input readOnly aria-label={t('vendors.token')} value={token} onFocus={(e) => e.target.select()} />
        </div>
      )}
      <ErrorAlert error={error} />
      {keys && (
        <ul>
          {keys.map((k) => (
            <li key={k.id}>
              <code>{k.prefix}</code> {k.label} · {t(`vendors.keyState.${k.status}`)} · {t('vendors.expires')}{' '}
              {dateTime(k.expiresAt)} · {t('vendors.lastUsed')} {dateTime(k.lastUsedAt)}
              {k.status === 'active' && (
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    void api('POST', `/api/v1/api-keys/${k.id}/revoke`).then(load, (e) =>
                      setError(errorKey(e)),
                    );
                  }}
                >
                  {t('vendors.revoke')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api<{ token: string }>('POST', base, {
            label,
            expiresInDays: Number(days),
            scopes: { contacts },
            fields: { phone },
            ipAllowlist: ips.split(/[\s,]+/).filter(Boolean),
          }).then(
            (r) => {
              setToken(r.token);
              setError(null);
              load();
            },
            (err) => setError(errorKey(err)),
          );
        }}
      >
        <label htmlFor="key-label">{t('vendors.keyLabel')}</label>
        <input
          id="key-label"
          required
          maxLength={120}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
        <label htmlFor="key-days">{t('vendors.keyDays')}</label>
        <input
          id="key-days"
          type="number"
          min={1}
          max={366}
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
        <label htmlFor="key-contacts">{t('vendors.scopeContacts')}</label>
        <select id="key-contacts" value={contacts} onChange={(e) => setContacts(e.target.value)}>
          {['none', 'read', 'write'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <label htmlFor="key-phone">{t('vendors.phoneField')}</label>
        <select id="key-phone" value={phone} onChange={(e) => setPhone(e.target.value)}>
          {['omit', 'pseudonym', 'masked', 'clear'].map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
        <label htmlFor="key-ips">{t('vendors.ipAllowlist')}</label>
        <input
          id="key-ips"
          placeholder="203.0.113.0/24, 2001:db8::/32"
          value={ips}
          onChange={(e) => setIps(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary">
            {t('vendors.createKey')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
