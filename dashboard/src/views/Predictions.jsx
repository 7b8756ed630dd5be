import { useEffect, useMemo, useState } from 'react';
import { api } from '../api.js';
import { useLive } from '../live.jsx';
import { Countdown } from '../components/Countdown.jsx';
import { AttributionBars } from '../components/AttributionBars.jsx';
import { FeedbackButtons } from '../components/FeedbackButtons.jsx';
import { Badge, SeverityBadge, SimBadge } from '../components/Badges.jsx';
import { EntityLink } from '../components/EntityLink.jsx';
import {
  confidenceOf, etaOf, formatDateTime, formatPercent, formatRelative, isOpen, metricContributions, severityRank, toMs,
} from '../format.js';

export function PredictionCard({ prediction: p, explanation, compact = false }) {
  const { dispatch } = useLive();
  const { eta, low, high } = etaOf(p);
  const conf = confidenceOf(p);
  const metrics = metricContributions(p, explanation);
  const created = p.created_at_ms ?? toMs(p.created_at);
  const d = p.details || {};
  const limit = p.limit ?? d.limit;
  return (
    <article className="card" data-testid="prediction" data-id={p.id} aria-labelledby={`pred-${p.id}`}>
      <header className="mb-3 flex flex-wrap items-center gap-2">
        <SeverityBadge severity={p.severity} />
        <Badge kind="info">{p.kind}</Badge>
        {!isOpen(p) && <Badge>closed</Badge>}
        <h2 id={`pred-${p.id}`} className="text-lg font-semibold">
          <EntityLink entity={p.entity} />
          {p.simulated && <SimBadge />}
          <span className="font-normal"> · {p.resource || 'whole entity'}{limit != null ? ` (limit ${limit})` : ''}</span>
        </h2>
        <span className="ml-auto text-sm muted" title={formatDateTime(created)}>raised {formatRelative(created)}</span>
      </header>
      <div className="grid gap-4 md:grid-cols-3">
        <div>
          <h3 className="text-xs font-semibold uppercase tracking-wide muted">When</h3>
          {p.kind === 'forecast' || eta != null ? <Countdown eta={eta} low={low} high={high} /> : (
            <p className="text-sm">Anomalous now (since {formatDateTime(created)})</p>
          )}
          <h3 className="mt-3 text-xs font-semibold uppercase tracking-wide muted">Confidence</h3>
          <p className="text-sm" data-testid="confidence"><strong className="tabular-nums">{formatPercent(conf.value)}</strong> <span className="muted">({conf.label})</span></p>
          {p.model && <p className="text-xs muted">model {p.model.name} v{p.model.version}</p>}
        </div>
        <div className="md:col-span-2">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide muted">Why</h3>
          <AttributionBars metrics={metrics} maxMetrics={compact ? 4 : 8} />
          {(explanation?.evidence || p.evidence) && (
            <p className="mt-2 break-words text-sm" data-testid="evidence"><span className="font-medium">Evidence: </span>{explanation?.evidence || p.evidence}</p>
          )}
        </div>
      </div>
      {p.actions && p.actions.length > 0 && (
        <div className="mt-3">
          <h3 className="text-xs font-semibold uppercase tracking-wide muted">Recommended actions</h3>
          <ul className="ml-5 list-disc text-sm">{p.actions.map((a, i) => <li key={i}>{a}</li>)}</ul>
        </div>
      )}
      <footer className="mt-3 flex flex-wrap items-center gap-3 border-t border-slate-200 pt-3 dark:border-slate-700">
        <FeedbackButtons prediction={p} onStored={(np) => dispatch({ type: 'prediction', prediction: np })} />
        {compact && <a className="ml-auto text-sm text-blue-700 hover:underline dark:text-blue-300" href={`#/predictions/${encodeURIComponent(p.id)}`}>Details</a>}
      </footer>
    </article>
  );
}

export function PredictionsView() {
  const { state } = useLive();
  const [severity, setSeverity] = useState('');
  const [kind, setKind] = useState('');
  const [scope, setScope] = useState('open');
  const [search, setSearch] = useState('');
  const [limit, setLimit] = useState(20);

  const list = useMemo(() => {
    const s = search.trim().toLowerCase();
    return Object.values(state.predictions)
      .filter((p) => (scope === 'all' || isOpen(p)) && (!severity || (severityRank[p.severity] || 0) >= severityRank[severity]) &&
        (!kind || p.kind === kind) && (!s || p.entity.toLowerCase().includes(s) || (p.resource || '').toLowerCase().includes(s)))
      .sort((a, b) => {
        const ea = etaOf(a).eta, eb = etaOf(b).eta;
        if (ea != null && eb != null) return ea - eb; // soonest failure first
        if (ea != null || eb != null) return ea != null ? -1 : 1;
        return (severityRank[b.severity] || 0) - (severityRank[a.severity] || 0) || (b.updated_at_ms || 0) - (a.updated_at_ms || 0);
      });
  }, [state.predictions, severity, kind, scope, search]);

  return (
    <section aria-labelledby="pred-title">
      <h1 id="pred-title" className="mb-4 text-xl font-bold">Predictions</h1>
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <label className="flex flex-col text-xs font-medium">Search
          <input className="input mt-1" type="search" placeholder="entity or resource" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label className="flex flex-col text-xs font-medium">Show
          <select className="input mt-1" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="open">open</option><option value="all">open and closed</option>
          </select>
        </label>
        <label className="flex flex-col text-xs font-medium">Minimum severity
          <select className="input mt-1" value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">any</option><option value="warning">warning</option><option value="critical">critical</option>
          </select>
        </label>
        <label className="flex flex-col text-xs font-medium">Kind
          <select className="input mt-1" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">any</option><option value="anomaly">anomaly</option><option value="forecast">forecast</option>
          </select>
        </label>
        <span className="ml-auto text-sm muted">{list.length} predictions</span>
      </div>
      {list.length === 0 ? <p className="muted">No prediction matches. Everything looks normal.</p> : (
        <div className="space-y-4">
          {list.slice(0, limit).map((p) => <PredictionCard key={p.id} prediction={p} compact />)}
          {list.length > limit && <button type="button" className="btn" onClick={() => setLimit(limit + 20)}>Show more</button>}
        </div>
      )}
    </section>
  );
}

export function PredictionDetail({ id }) {
  const { state } = useLive();
  const [full, setFull] = useState(null);
  const [explanation, setExplanation] = useState(null);
  const [error, setError] = useState(null);
  const live = state.predictions[id];

  useEffect(() => {
    let on = true;
    api.prediction(id).then((p) => on && setFull(p)).catch((e) => on && setError(e.message));
    api.explanation(id).then((x) => on && setExplanation(x)).catch(() => on && setExplanation(null));
    return () => { on = false; };
  }, [id, live?.feedback]);

  const p = live ? { ...full, ...live, feedback_history: full?.feedback_history } : full;
  return (
    <section aria-labelledby="detail-title">
      <div className="mb-4 flex items-center gap-3">
        <a href="#/predictions" className="text-sm text-blue-700 hover:underline dark:text-blue-300">← Predictions</a>
        <h1 id="detail-title" className="text-xl font-bold">Prediction</h1>
        <code className="text-xs muted">{id}</code>
      </div>
      {error && !p && <p role="alert" className="text-red-700 dark:text-red-300">{error}</p>}
      {p && <PredictionCard prediction={p} explanation={explanation} />}
      {p?.feedback_history?.length > 0 && (
        <div className="card mt-4">
          <h2 className="mb-2 font-semibold">Feedback history</h2>
          <ul className="text-sm">
            {p.feedback_history.map((f, i) => (
              <li key={i}>{formatDateTime(f.at_ms ?? toMs(f.at))}: <strong>{f.verdict}</strong> by {f.user}{f.note ? ` — ${f.note}` : ''}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
