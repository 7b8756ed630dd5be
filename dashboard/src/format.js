// Times in the viewer's time zone; relative forms for ETAs and ages.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortDateTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

// A time from the API: Unix ms (number), an RFC 3339 string, or null. Returns ms or null.
export function toMs(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

export function formatDateTime(ms) {
  return ms == null ? '—' : dateTime.format(new Date(ms));
}

export function formatShortDateTime(ms) {
  return ms == null ? '' : shortDateTime.format(new Date(ms));
}

export function formatTime(ms) {
  return ms == null ? '' : timeOnly.format(new Date(ms));
}

// "in 12 minutes", "3 hours ago"; null → "—".
export function formatRelative(ms, now = Date.now()) {
  if (ms == null) return '—';
  const diff = (ms - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return rtf.format(Math.round(diff), 'second');
  if (abs < 45 * 60) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}

// A countdown "1h 02m 05s" for a positive number of ms; "overdue" when negative.
export function formatCountdown(ms) {
  if (ms == null) return '—';
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const pad = (n) => String(n).padStart(2, '0');
  const text = d > 0 ? `${d}d ${pad(h)}h ${pad(m)}m` : h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
  return neg ? `${text} ago` : text;
}

export function formatNumber(v, digits = 2) {
  if (v == null || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1000) return v.toLocaleString(undefined, { maximumFractionDigits: 0 });
  return v.toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function formatPercent(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  return `${Math.round(v * 100)} %`;
}

// The ETA fields of a forecast prediction, wherever the server puts them (top level or details).
export function etaOf(p) {
  if (!p) return { eta: null, low: null, high: null };
  const d = p.details || {};
  const pick = (k) => toMs(p[`${k}_ms`] ?? p[k] ?? d[`${k}_ms`] ?? d[k]);
  return { eta: pick('eta'), low: pick('eta_low'), high: pick('eta_high') };
}

export function isOpen(p) {
  if (!p) return false;
  if (p.open === false) return false;
  return !p.closed_at;
}

// The confidence shown for a prediction: a forecast's probability, else the anomaly score.
export function confidenceOf(p) {
  const d = p.details || {};
  const prob = p.probability ?? d.probability;
  if (typeof prob === 'number' && Number.isFinite(prob)) return { value: prob, label: 'probability' };
  if (typeof p.score === 'number' && Number.isFinite(p.score)) return { value: p.score, label: 'score' };
  return { value: null, label: 'score' };
}

// "memory_used_percent.slope_15m" → "memory_used_percent".
export function metricOfFeature(feature) {
  const i = String(feature).indexOf('.');
  return i < 0 ? String(feature) : String(feature).slice(0, i);
}

// Per-metric contributions: from an explanation's metrics when present, else summed attributions.
export function metricContributions(prediction, explanation) {
  if (explanation && Array.isArray(explanation.metrics) && explanation.metrics.length) {
    return explanation.metrics
      .map((m) => ({
        metric: m.metric,
        contribution: Number(m.contribution) || 0,
        features: (m.features || []).map(([f, c]) => ({ feature: f, contribution: Number(c) || 0 })),
      }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  }
  const by = new Map();
  for (const a of prediction?.attributions || []) {
    const metric = metricOfFeature(a.feature);
    const e = by.get(metric) || { metric, contribution: 0, features: [] };
    const c = Number(a.contribution) || 0;
    e.contribution += c;
    e.features.push({ feature: a.feature, contribution: c, value: a.value });
    by.set(metric, e);
  }
  return [...by.values()].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}

export const severityRank = { critical: 3, warning: 2, info: 1, ok: 1, learning: 0 };
