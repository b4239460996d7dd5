import type { Routes } from '../detection/settings.ts';
import type { BlastRadius } from './blast-radius.ts';
import type { IncidentJson, TimelineEntry } from './incident-core.ts';
import type { Review } from './incidents.schema.ts';

const HOUR = 3_600_000;

export interface Deadline {
  readonly name: string;
  readonly due: string;
  readonly hoursLeft: number;
  readonly overdue: boolean;
}

/** Field names a regulator expects, with a plain-language label for the console and the HTML report. */
export const GDPR_ART33_FIELDS = [
  'natureOfBreach',
  'categoriesOfDataSubjects',
  'approximateNumberOfDataSubjects',
  'categoriesOfPersonalDataRecords',
  'approximateNumberOfRecords',
  'dpoContact',
  'likelyConsequences',
  'measuresTaken',
  'measuresProposed',
  'occurred',
  'becameAware',
  'reasonsForDelay',
] as const;
export const PIPL_ART57_FIELDS = [
  'categoriesOfPersonalInformation',
  'cause',
  'possibleHarm',
  'remedialMeasures',
  'measuresIndividualsCanTake',
  'contactDetails',
] as const;

const FIELD_HARM: Record<string, string> = {
  phone: 'phishing or scam messages over WhatsApp or SMS, SIM-swap attempts',
  email: 'phishing e-mail',
  profileName: 'targeted social engineering',
  attributes: 'disclosure of order or account details',
};

/**
 * The regulator report draft: GDPR Art. 33(3) and PIPL Art. 57 contents from the incident, its
 * blast radius and its timeline, and every reporting clock (72 h from awareness, plus the tenant's
 * extra rules such as CAC's 4 h for large leaks) with what is left. Fields the facts cannot fill are
 * listed in `missing` for the DPO; nothing here is sent anywhere by itself.
 */
export function regulatorDraft(input: {
  incident: IncidentJson;
  blast: BlastRadius;
  timeline: readonly TimelineEntry[];
  routes: Routes;
  review: Review | null;
  now: Date;
}) {
  const { incident, blast, timeline, routes, review, now } = input;
  const aware = Date.parse(incident.awareAt);
  const clock = (name: string, hours: number): Deadline => {
    const due = aware + hours * HOUR;
    return {
      name,
      due: new Date(due).toISOString(),
      hoursLeft: Math.round(((due - now.getTime()) / HOUR) * 10) / 10,
      overdue: now.getTime() > due,
    };
  };
  const deadlines = [
    clock('GDPR Art. 33(1): supervisory authority, 72 h from awareness', 72),
    ...routes.extraDeadlines
      .filter((d) => blast.totals.customers >= d.minSubjects)
      .map((d) => clock(d.name, d.hours)),
  ];
  const subjects = blast.customers.filter((c) => c.records > 0).length;
  const fields =
    blast.totals.fields.length > 0
      ? blast.totals.fields
      : ['customer contact records (fields unknown while sealed)'];
  const harm = [...new Set(fields.map((f) => FIELD_HARM[f] ?? 'misuse of the disclosed details'))].join('; ');
  const measures = timeline
    .filter((e) => e.kind.startsWith('playbook:') && e.detail.ok !== false)
    .map((e) => `${e.at}: ${e.kind.slice('playbook:'.length).replace(/_/g, ' ')}`);
  const suspect = incident.suspect
    ? `${incident.suspect.type} ${incident.suspect.id}`
    : 'an unidentified actor';
  const nature = `Unauthorised access to customers' personal data by ${suspect}: ${incident.title}`;
  const cause = review?.cause ?? 'Under investigation (compromised staff credentials suspected)';
  const occurred = blast.customers.length
    ? {
        from: blast.customers.reduce((m, c) => (c.first < m ? c.first : m), blast.customers[0]!.first),
        to: blast.customers.reduce((m, c) => (c.last > m ? c.last : m), blast.customers[0]!.last),
      }
    : { from: incident.window.from, to: incident.window.to };
  const late = deadlines[0]!.overdue;
  const gdprArt33 = {
    natureOfBreach: nature,
    categoriesOfDataSubjects: ['customers of the business who contacted it over WhatsApp'],
    approximateNumberOfDataSubjects: subjects,
    categoriesOfPersonalDataRecords: fields,
    approximateNumberOfRecords: blast.totals.records,
    dpoContact: routes.dpoContact,
    likelyConsequences: harm,
    measuresTaken: measures,
    measuresProposed: review?.actions.map((a) => `${a.action} (owner ${a.owner}, due ${a.due})`) ?? [
      'Notify affected customers; review access rights; post-incident review',
    ],
    occurred,
    becameAware: incident.awareAt,
    reasonsForDelay: late ? '' : 'not applicable (within 72 hours)',
  };
  const piplArt57 = {
    categoriesOfPersonalInformation: fields,
    cause,
    possibleHarm: harm,
    remedialMeasures: measures,
    measuresIndividualsCanTake: [
      'Distrust messages claiming to come from the business that ask for codes, payments or passwords',
      'Never share one-time codes; contact your carrier if your SIM stops working unexpectedly',
    ],
    contactDetails: routes.dpoContact,
  };
  const missing = [
    ...GDPR_ART33_FIELDS.filter((f) => isEmpty(gdprArt33[f])).map((f) => `gdprArt33.${f}`),
    ...PIPL_ART57_FIELDS.filter((f) => isEmpty(piplArt57[f])).map((f) => `piplArt57.${f}`),
  ];
  return {
    reference: incident.id,
    tenantId: blast.tenantId,
    generatedAt: now.toISOString(),
    awareAt: incident.awareAt,
    deadlines,
    gdprArt33,
    piplArt57,
    blastRadiusDigest: blast.digest,
    missing,
  };
}

export type RegulatorDraft = ReturnType<typeof regulatorDraft>;

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}
