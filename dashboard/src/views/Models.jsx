import { useEffect, useMemo, useState } from 'react';
import { api } from '../api.js';
import { useLive } from '../live.jsx';
import { SimBadge } from '../components/Badges.jsx';
import { EntityLink } from '../components/EntityLink.jsx';
import { formatDateTime, formatNumber, formatRelative, toMs } from '../format.js';

// Precision implied by feedback: confirmed / (confirmed + dismissed) over the entity's predictions.
export function feedbackPrecision(predictions) {
  const by = new Map();
  for (const p of predictions) {
    if (!p.feedback) continue;
    const e = by.get(p.entity) || { confirmed: 0, dismissed: 0 };
    if (p.feedback === 'confirmed') e.confirmed += 1;
    else if (p.feedback === 'dismissed') e.dismissed += 1;
    by.set(p.entity, e);
  }
  return by;
}

function span(from, to) {
  if (from == null || to == null) return '—';
  const h = (to - from) / 3.6e6;
  return h >= 48 ? `${formatNumber(h / 24, 1)} d` : h >= 1 ? `${formatNumber(h, 1)} h` : `${formatNumber(h * 60, 0)} min`;
}

// Training score quantiles p50..max drawn on a 0..1 strip, with the calibrated thresholds.
function ScoreStrip({ q, thresholds }) {
  if (!q) return <span className="muted">—</span>;
  const marks = [['p50', q.p50], ['p90', q.p90], ['p99', q.p99], ['max', q.max]].filter(([, v]) => typeof v === 'number');
  return (
    <div className="w-48">
      <div className="relative h-3 rounded bg-slate-200 dark:bg-slate-700" role="img" aria-label={`training scores ${marks.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`}>
        {typeof q.p50 === 'number' && typeof q.p99 === 'number' && (
          <span className="absolute h-3 rounded bg-blue-500/60" style={{ left: `${q.p50 * 100}%`, width: `${Math.max(1, (q.p99 - q.p50) * 100)}%` }} />
        )}
        {thresholds && ['warning', 'critical'].map((k) => typeof thresholds[k] === 'number' && (
          <span key={k} title={`${k} threshold ${thresholds[k].toFixed(2)}`} className={`absolute top-[-2px] h-4 w-0.5 ${k === 'critical' ? 'bg-red-600' : 'bg-amber-500'}`} style={{ left: `${thresholds[k] * 100}%` }} />
        ))}
      </div>
      <div className="mt-0.5 text-[11px] muted tabular-nums">{marks.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' · ')}</div>
    </div>
  );
}

export function ModelsView() {
  const { state } = useLive();
  const [models, setModels] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api.models().then(setModels).catch((e) => setError(e.message));
  }, [state.status?.models]);
  const precision = useMemo(() => feedbackPrecision(Object.values(state.predictions)), [state.predictions]);
  const total = [...precision.values()].reduce((a, e) => ({ c: a.c + e.confirmed, d: a.d + e.dismissed }), { c: 0, d: 0 });

  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title" className="mb-2 text-xl font-bold">Models</h1>
      <p className="mb-4 text-sm muted">
        Precision implied by feedback across the fleet: {total.c + total.d ? `${Math.round((100 * total.c) / (total.c + total.d))} % (${total.c} confirmed, ${total.d} dismissed)` : 'no feedback yet'}.
      </p>
      {error && <p role="alert" className="text-red-700 dark:text-red-300">{error}</p>}
      {!models ? <p className="muted">Loading…</p> : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
          <table className="min-w-full divide-y divide-slate-200 bg-white dark:divide-slate-700 dark:bg-slate-900">
            <thead className="bg-slate-100 dark:bg-slate-800">
              <tr>{['Entity', 'Model', 'Version', 'Trained', 'Training data', 'Rows', 'Score distribution (training)', 'Precision (feedback)'].map((h) => <th key={h} scope="col" className="th">{h}</th>)}</tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {models.map((m) => {
                const mv = m.model || {};
                const from = mv.data_from_ms ?? toMs(mv.data_from);
                const to = mv.data_to_ms ?? toMs(mv.data_to);
                const trained = mv.trained_at_ms ?? toMs(mv.trained_at);
                const fb = precision.get(m.entity);
                const ent = state.entities[m.entity];
                return (
                  <tr key={`${m.entity}/${mv.name}`} data-testid="model-row">
                    <td className="td font-medium"><EntityLink entity={m.entity} />{ent?.simulated && <SimBadge />}</td>
                    <td className="td">{mv.name}</td>
                    <td className="td tabular-nums">v{m.active_version ?? mv.version}</td>
                    <td className="td whitespace-nowrap" title={formatDateTime(trained)}>{formatRelative(trained)}</td>
                    <td className="td whitespace-nowrap" title={`${formatDateTime(from)} – ${formatDateTime(to)}`}>{span(from, to)}</td>
                    <td className="td tabular-nums">{formatNumber(mv.rows, 0)}</td>
                    <td className="td"><ScoreStrip q={mv.metrics?.training_scores} thresholds={mv.metrics?.thresholds} /></td>
                    <td className="td tabular-nums">{fb ? `${Math.round((100 * fb.confirmed) / (fb.confirmed + fb.dismissed))} % of ${fb.confirmed + fb.dismissed}` : <span className="muted">no feedback</span>}</td>
                  </tr>
                );
              })}
              {models.length === 0 && <tr><td className="td muted" colSpan={8}>No model trained yet.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
