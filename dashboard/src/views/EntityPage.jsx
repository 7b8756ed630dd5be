import { useEffect, useMemo, useState } from 'react';
import { api } from '../api.js';
import { useLive } from '../live.jsx';
import { LineChart } from '../components/LineChart.jsx';
import { HealthBadge, ScoreBar, SimBadge, SeverityBadge } from '../components/Badges.jsx';
import { formatDateTime, formatRelative, isOpen, toMs } from '../format.js';
import { linkClass } from '../components/EntityLink.jsx';

export const RANGES = [
  { id: '15m', label: '15 minutes', step: '5s' },
  { id: '1h', label: '1 hour', step: '15s' },
  { id: '6h', label: '6 hours', step: '1m' },
  { id: '24h', label: '24 hours', step: '5m' },
  { id: '7d', label: '7 days', step: '30m' },
];
const RANGE_MS = { '15m': 9e5, '1h': 3.6e6, '6h': 2.16e7, '24h': 8.64e7, '7d': 6.048e8 };
const PALETTE = ['#2563eb', '#059669', '#9333ea', '#0891b2', '#ca8a04', '#db2777'];
const SCORE_SERIES = 'foresight_anomaly_score';

// Most telling metrics first: CPU, memory, latency, load, then the rest by name.
export function metricOrder(names) {
  const rank = (n) => (/cpu/.test(n) ? 0 : /mem/.test(n) ? 1 : /(latency|response|duration)/.test(n) ? 2 : /load/.test(n) ? 3 : /(disk|fs_)/.test(n) ? 4 : 5);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const sel = (name, entity) => `${name}{entity="${entity.replace(/(["\\])/g, '\\$1')}"}`;
const pts = (points) => (points || []).filter(([, v]) => v != null && Number.isFinite(v)).map(([x, y]) => ({ x, y }));

// Labels that tell the series of one metric apart (e.g. mode, device).
function seriesLabel(labels, name) {
  const rest = Object.entries(labels || {}).filter(([k]) => !['__name__', 'entity', 'simulated', 'kind', 'entity_kind', 'host'].includes(k));
  return rest.length ? rest.map(([k, v]) => `${k}=${v}`).join(',') : name;
}

function MetricChart({ entity, name, range, score, anomalies, forecast, tick }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    api.query(sel(name, entity), `now-${range.id}`, 'now', range.step, 'mean')
      .then((d) => { if (live) { setData(d); setError(null); } })
      .catch((e) => { if (live) setError(e.message); });
    return () => { live = false; };
  }, [entity, name, range, tick]);

  const datasets = useMemo(() => {
    if (!data) return [];
    const out = data.series.slice(0, 6).map((s, i) => ({
      label: seriesLabel(s.labels, name), data: pts(s.points), borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length], pointRadius: 0, borderWidth: 1.5, yAxisID: 'y',
    }));
    if (forecast && forecast.band && forecast.band.some((b) => toMs(b.t_ms ?? b.t) <= Date.now() + RANGE_MS[range.id])) {
      // The band as far ahead as the range looks back, so the history keeps most of the width.
      const horizon = Date.now() + RANGE_MS[range.id];
      const band = forecast.band.map((b) => ({ ...b, t: toMs(b.t_ms ?? b.t) })).filter((b) => b.t != null && b.t <= horizon);
      // Start the band at the last observation so history and forecast join up.
      const seen = out[0]?.data;
      const last = seen && seen.length ? seen[seen.length - 1] : null;
      if (last && band.length && last.x < band[0].t) band.unshift({ t: last.x, p10: last.y, p50: last.y, p90: last.y });
      out.push({ label: '_p10', data: band.map((b) => ({ x: b.t, y: b.p10 })), borderColor: 'transparent', pointRadius: 0, fill: false, yAxisID: 'y' });
      out.push({ label: 'forecast P10–P90', data: band.map((b) => ({ x: b.t, y: b.p90 })), borderColor: 'rgba(234,88,12,0.3)', backgroundColor: 'rgba(234,88,12,0.18)', pointRadius: 0, fill: '-1', yAxisID: 'y' });
      out.push({ label: 'forecast P50', data: band.map((b) => ({ x: b.t, y: b.p50 })), borderColor: '#ea580c', borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, yAxisID: 'y' });
      if (forecast.limit != null) {
        const first = out[0]?.data[0]?.x ?? band[0].t;
        const last = band[band.length - 1].t;
        out.push({ label: `limit ${forecast.limit}`, data: [{ x: first, y: forecast.limit }, { x: last, y: forecast.limit }], borderColor: '#dc2626', borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5, yAxisID: 'y' });
      }
    }
    if (score.length) {
      out.push({ label: 'anomaly score', data: score, borderColor: 'rgba(100,116,139,0.9)', borderDash: [3, 3], pointRadius: 0, borderWidth: 1, yAxisID: 'y2' });
    }
    if (anomalies.length) {
      out.push({ label: 'anomaly', data: anomalies, showLine: false, pointRadius: 4, pointStyle: 'triangle', borderColor: '#dc2626', backgroundColor: '#dc2626', yAxisID: 'y2' });
    }
    return out;
  }, [data, score, anomalies, forecast, name, range]);

  return (
    <figure className="card" data-testid="metric-chart" data-metric={name}>
      <figcaption className="mb-2 flex items-baseline justify-between gap-2">
        <span className="font-semibold">{name}</span>
        {forecast && (
          <span className="text-xs muted">
            forecast ({forecast.method || 'model'}{forecast.mase != null ? `, MASE ${forecast.mase.toFixed(2)}` : ''}):{' '}
            {forecast.reason ? forecast.reason : forecast.eta != null ? `reaches ${forecast.limit} ${formatRelative(toMs(forecast.eta))}` : `stays within ${forecast.limit}`}
          </span>
        )}
      </figcaption>
      {error ? <p role="alert" className="text-sm text-red-700 dark:text-red-300">{error}</p>
        : !data ? <p className="muted text-sm">Loading…</p>
          : <LineChart datasets={datasets} label={`${name} over ${range.label}`} y2 />}
    </figure>
  );
}

export function EntityPage({ entity }) {
  const { state } = useLive();
  const e = state.entities[entity];
  const [range, setRange] = useState(RANGES[1]);
  const [names, setNames] = useState(null);
  const [showAll, setShowAll] = useState(false);
  const [score, setScore] = useState([]);
  const [forecasts, setForecasts] = useState([]);
  const [threshold, setThreshold] = useState(0.6);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState(null);

  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), 15000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    let live = true;
    api.series(`{entity="${entity}"}`)
      .then((list) => {
        if (!live) return;
        const set = new Set(list.map((s) => s.labels?.__name__).filter((n) => n && n !== SCORE_SERIES));
        setNames(metricOrder(set));
      })
      .catch((err) => live && setError(err.message));
    api.models(entity).then((m) => {
      const th = m?.[0]?.model?.metrics?.thresholds?.warning;
      if (live && typeof th === 'number') setThreshold(th);
    }).catch(() => {});
    return () => { live = false; };
  }, [entity]);

  useEffect(() => {
    let live = true;
    api.query(sel(SCORE_SERIES, entity), `now-${range.id}`, 'now', range.step, 'max')
      .then((d) => live && setScore(pts(d.series?.[0]?.points)))
      .catch(() => live && setScore([])); // not recorded (yet): charts show the metrics alone
    api.forecasts(entity)
      .then((d) => live && setForecasts(Array.isArray(d) ? d : d?.forecasts || []))
      .catch(() => live && setForecasts([]));
    return () => { live = false; };
  }, [entity, range, tick]);

  const preds = useMemo(() => Object.values(state.predictions).filter((p) => p.entity === entity)
    .sort((a, b) => (b.created_at_ms || 0) - (a.created_at_ms || 0)), [state.predictions, entity]);

  // Anomalies: score points at or over the warning threshold, plus every anomaly prediction's start.
  const anomalies = useMemo(() => {
    const out = score.filter((p) => p.y >= threshold);
    const from = Date.now() - RANGE_MS[range.id];
    for (const p of preds) {
      const t = p.created_at_ms ?? toMs(p.created_at);
      if (p.kind !== 'forecast' && t != null && t >= from && typeof p.score === 'number') out.push({ x: t, y: p.score });
    }
    return out.sort((a, b) => a.x - b.x);
  }, [score, preds, threshold, range]);

  const forecastFor = (name) => forecasts.find((f) => f.metric === name || (f.series || '').startsWith(`${name}{`));
  const shown = names ? (showAll ? names : names.slice(0, 6)) : [];

  return (
    <section aria-labelledby="entity-title">
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <a href="#/" className="text-sm text-blue-700 hover:underline dark:text-blue-300">← Fleet</a>
        <h1 id="entity-title" className="text-xl font-bold">{entity}</h1>
        {e?.simulated && <SimBadge />}
        {e && <HealthBadge health={e.health} />}
        {e && <ScoreBar score={e.score} />}
        {e?.model && <span className="text-sm muted">{e.model.name} v{e.model.version}</span>}
        <label className="ml-auto flex items-center gap-2 text-sm">Range
          <select className="input" value={range.id} onChange={(ev) => setRange(RANGES.find((r) => r.id === ev.target.value))}>
            {RANGES.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
          </select>
        </label>
      </div>
      {preds.filter(isOpen).length > 0 && (
        <div className="card mb-4">
          <h2 className="mb-2 font-semibold">Open predictions</h2>
          <ul className="space-y-1">
            {preds.filter(isOpen).map((p) => (
              <li key={p.id} className="flex flex-wrap items-center gap-2 text-sm">
                <SeverityBadge severity={p.severity} />
                <a className={linkClass} href={`#/predictions/${encodeURIComponent(p.id)}`}>{p.kind}: {p.resource || 'entity'}</a>
                <span className="muted">since {formatDateTime(p.created_at_ms ?? toMs(p.created_at))}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {error && <p role="alert" className="text-red-700 dark:text-red-300">{error}</p>}
      {!names ? <p className="muted">Loading series…</p> : names.length === 0 ? <p className="muted">No series for this entity.</p> : (
        <>
          <p className="mb-2 text-sm muted">
            Anomaly score (right axis, dashed) {score.length ? '' : 'not recorded yet; '}and anomalies (red triangles: score ≥ {threshold.toFixed(2)} or a prediction) overlaid.
          </p>
          <div className="grid gap-4 xl:grid-cols-2">
            {shown.map((n) => (
              <MetricChart key={n} entity={entity} name={n} range={range} score={score} anomalies={anomalies} forecast={forecastFor(n)} tick={tick} />
            ))}
          </div>
          {names.length > 6 && (
            <button type="button" className="btn mt-4" onClick={() => setShowAll(!showAll)}>
              {showAll ? 'Show fewer metrics' : `Show all ${names.length} metrics`}
            </button>
          )}
        </>
      )}
    </section>
  );
}
