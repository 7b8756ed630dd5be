import { formatNumber } from '../format.js';

// Which metrics drove the decision: one bar per metric, as a share of the largest contribution,
// with its top features listed under it.
export function AttributionBars({ metrics, maxMetrics = 6 }) {
  if (!metrics || metrics.length === 0) return <p className="muted text-sm">No attributions.</p>;
  const shown = metrics.slice(0, maxMetrics);
  const max = Math.max(...shown.map((m) => Math.abs(m.contribution)), 1e-9);
  const total = metrics.reduce((s, m) => s + Math.abs(m.contribution), 0) || 1;
  return (
    <ul className="space-y-2" aria-label="Attributions by metric" data-testid="attributions">
      {shown.map((m) => {
        const pct = (Math.abs(m.contribution) / max) * 100;
        const share = Math.round((Math.abs(m.contribution) / total) * 100);
        return (
          <li key={m.metric} data-testid="attribution">
            <div className="flex justify-between gap-2 text-sm">
              <span className="truncate font-medium" title={m.metric}>{m.metric}</span>
              <span className="tabular-nums muted">{formatNumber(m.contribution, 3)} ({share} %)</span>
            </div>
            <div
              role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}
              aria-label={`${m.metric}: ${share} % of the attribution`}
              className="mt-0.5 h-2.5 w-full rounded bg-slate-200 dark:bg-slate-700"
            >
              <div className={`h-2.5 rounded ${m.contribution < 0 ? 'bg-sky-600' : 'bg-orange-600'}`} style={{ width: `${pct}%` }} data-testid="attribution-bar" />
            </div>
            {m.features && m.features.some((f) => f.feature !== m.metric) && (
              <div className="mt-0.5 text-xs muted">
                {m.features.slice(0, 3).map((f) => `${f.feature.startsWith(`${m.metric}.`) ? f.feature.slice(m.metric.length + 1) : f.feature}${f.value != null ? `=${formatNumber(f.value, 3)}` : ''}`).join(', ')}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
