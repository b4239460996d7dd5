const errors = {
  '400': { description: 'Invalid input' },
  '401': { description: 'Not signed in, or step_up_required (playbooks)' },
  '403': { description: 'Needs readIncidents (auditors) or manageIncidents (admins, owners)' },
  '404': { description: 'Not in this tenant' },
} as const;
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } } as const;
const op = (summary: string, ok: string, extra: Record<string, unknown> = {}) => ({
  summary,
  responses: { '200': { description: ok }, ...errors },
  ...extra,
});
const json = (properties: Record<string, unknown>, required: string[] = []) => ({
  requestBody: { content: { 'application/json': { schema: { type: 'object', properties, required } } } },
});

/** Alerts, detection settings and incidents (see `incidents.routes.ts`); always the caller's tenant. */
export const incidentOpenApiPaths = {
  '/api/v1/alerts': {
    get: op('Alerts, newest first (filters: severity, rule, status, limit)', '{ alerts }'),
  },
  '/api/v1/alerts/stream': {
    get: op('Server-sent events: each new alert of the tenant as an `alert` event', 'text/event-stream'),
  },
  '/api/v1/alerts/{id}/acknowledge': { post: op('Acknowledge an alert', '204', { parameters: [id] }) },
  '/api/v1/detection/settings': {
    get: op('Thresholds and alert routes (the webhook secret is never returned)', '{ thresholds, routes }'),
    post: op(
      'Replace thresholds and/or routes',
      '204',
      json({ thresholds: { type: 'object' }, routes: { type: 'object' } }),
    ),
  },
  '/api/v1/incidents': {
    get: op('Incidents, newest first', '{ incidents }'),
    post: op(
      'Open an incident by hand',
      '201 { incident }',
      json(
        {
          title: { type: 'string' },
          severity: { enum: ['low', 'medium', 'high', 'critical'] },
          suspect: { type: 'object' },
          from: { type: 'string' },
          to: { type: 'string' },
        },
        ['title'],
      ),
    ),
  },
  '/api/v1/incidents/{id}': {
    get: op('An incident with its timeline', '{ incident, timeline }', { parameters: [id] }),
  },
  '/api/v1/incidents/{id}/state': {
    post: op(
      'Move forward: triaged, contained, eradicated, recovered, closed (needs the review)',
      '{ incident }',
      {
        parameters: [id],
        ...json({ state: { type: 'string' } }, ['state']),
      },
    ),
  },
  '/api/v1/incidents/{id}/notes': {
    post: op('Add a note to the timeline (sealed at rest)', '204', {
      parameters: [id],
      ...json({ note: { type: 'string' } }, ['note']),
    }),
  },
  '/api/v1/incidents/{id}/playbooks': {
    post: op(
      'Run a containment playbook (fresh second factor): disable_operator, revoke_api_key, suspend_vendor, freeze, rotate_keys, seal_vault',
      '{ playbook, result }',
      { parameters: [id], ...json({ playbook: { type: 'string' } }, ['playbook']) },
    ),
  },
  '/api/v1/incidents/{id}/blast-radius': {
    get: op(
      'Customers read or exported by the suspect in the window (format=json|csv)',
      '{ customers, totals, throughSeq, digest }',
      {
        parameters: [
          id,
          ...(
            [
              ['suspectType', 'operator | api_key | ip | session (default: the incident suspect)'],
              ['suspectId', 'operator id, key id, address, or the public session id of audit entries'],
              ['from', 'ISO time (default: the incident window)'],
              ['to', 'ISO time (default: the incident window, or now)'],
              ['format', 'json | csv'],
            ] as const
          ).map(([name, description]) => ({ name, in: 'query', description, schema: { type: 'string' } })),
        ],
      },
    ),
  },
  '/api/v1/incidents/{id}/regulator-draft': {
    get: op(
      'GDPR Art. 33(3) / PIPL Art. 57 draft with reporting clocks',
      '{ deadlines, gdprArt33, piplArt57, missing }',
      {
        parameters: [id],
      },
    ),
  },
  '/api/v1/incidents/{id}/notices': {
    get: op('Customer notices with delivery state', '{ notices }', { parameters: [id] }),
    post: op(
      'Send customer notices (approved UTILITY template per language, else other channel)',
      '{ whatsapp, otherChannel }',
      {
        parameters: [id],
      },
    ),
  },
  '/api/v1/incidents/{id}/notify-tenant': {
    post: op('E-mail the business (counts only)', '{ recipients }', { parameters: [id] }),
  },
  '/api/v1/incidents/{id}/review': {
    get: op('The post-incident review', '{ review }', { parameters: [id] }),
    post: op('File the post-incident review', '204', {
      parameters: [id],
      ...json({ cause: {}, impact: {}, whatWorked: {}, whatDidNot: {}, actions: { type: 'array' } }, [
        'cause',
        'impact',
        'whatWorked',
        'actions',
      ]),
    }),
  },
  '/api/v1/incidents/{id}/report.html': {
    get: op('Auditor-readable incident report', 'text/html', { parameters: [id] }),
  },
} as const;
