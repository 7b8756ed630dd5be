// The REST API (docs/API.md). Every call resolves to `data` or throws an Error with the server's message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let json = null;
  try {
    json = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = json && json.error ? json.error : {};
    throw new ApiError(res.status, err.code || String(res.status), err.message || `${method} ${path}: HTTP ${res.status}`);
  }
  return json && 'data' in json ? json.data : json;
}

const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const t = s.toString();
  return t ? `?${t}` : '';
};

export const api = {
  status: () => call('GET', '/api/v1/status'),
  entities: () => call('GET', '/api/v1/entities'),
  series: (match, limit = 2000) => call('GET', `/api/v1/series${q({ match, limit })}`),
  query: (series, from, to, step, agg) => call('GET', `/api/v1/query${q({ series, from, to, step, agg })}`),
  predictions: (params = {}) => call('GET', `/api/v1/predictions${q({ limit: 500, ...params })}`),
  prediction: (id) => call('GET', `/api/v1/predictions/${encodeURIComponent(id)}`),
  explanation: (id) => call('GET', `/api/v1/predictions/${encodeURIComponent(id)}/explanation`),
  forecasts: (entity) => call('GET', `/api/v1/forecasts${q({ entity })}`),
  alerts: (params = {}) => call('GET', `/api/v1/alerts${q({ limit: 500, ...params })}`),
  ack: (id, user) => call('POST', `/api/v1/alerts/${encodeURIComponent(id)}/ack`, { user }),
  silence: (entity, duration, user) => call('POST', '/api/v1/silences', { entity, duration, user }),
  feedback: (prediction_id, verdict, user) => call('POST', '/api/v1/feedback', { prediction_id, verdict, user }),
  models: (entity) => call('GET', `/api/v1/models${q({ entity })}`),
};

export const USER = 'dashboard';
