import { useMemo, useState } from 'react';
import { api, USER } from '../api.js';
import { useLive } from '../live.jsx';
import { SeverityBadge, Badge } from '../components/Badges.jsx';
import { EntityLink } from '../components/EntityLink.jsx';
import { formatDateTime, formatRelative, toMs } from '../format.js';

function countBy(list, key) {
  const m = new Map();
  for (const x of list) m.set(x[key], (m.get(x[key]) || 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

function StatList({ title, entries }) {
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return (
    <div className="card">
      <h2 className="mb-2 text-sm font-semibold">{title}</h2>
      {entries.length === 0 ? <p className="text-sm muted">none</p> : (
        <ul className="space-y-1 text-sm">
          {entries.slice(0, 8).map(([k, n]) => (
            <li key={k} className="flex items-center gap-2">
              <span className="w-28 truncate" title={k}>{k}</span>
              <span className="h-2 flex-1 rounded bg-slate-200 dark:bg-slate-700" aria-hidden="true">
                <span className="block h-2 rounded bg-blue-600" style={{ width: `${(n / max) * 100}%` }} />
              </span>
              <span className="w-8 text-right tabular-nums">{n}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function AlertsView() {
  const { state, dispatch } = useLive();
  const [severity, setSeverity] = useState('');
  const [duration, setDuration] = useState('1h');
  const [message, setMessage] = useState(null);
  const alerts = useMemo(() => Object.values(state.alerts)
    .sort((a, b) => (b.created_at_ms ?? toMs(b.created_at) ?? 0) - (a.created_at_ms ?? toMs(a.created_at) ?? 0)), [state.alerts]);
  const shown = alerts.filter((a) => !severity || a.severity === severity).slice(0, 200);

  const ack = async (a) => {
    try {
      const r = await api.ack(a.id, USER);
      dispatch({ type: 'alert', alert: { ...a, state: 'acknowledged', acked_by: r.acked_by } });
      setMessage(`Alert ${a.id} acknowledged.`);
    } catch (e) {
      setMessage(`Could not acknowledge: ${e.message}`);
    }
  };
  const silence = async (entity) => {
    try {
      const r = await api.silence(entity, duration, USER);
      setMessage(`Alerts for ${entity} silenced until ${formatDateTime(toMs(r.until))}.`);
    } catch (e) {
      setMessage(`Could not silence: ${e.message}`);
    }
  };

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title" className="mb-4 text-xl font-bold">Alerts</h1>
      <div className="mb-4 grid gap-3 md:grid-cols-3">
        <StatList title="By severity" entries={countBy(alerts, 'severity')} />
        <StatList title="By entity" entries={countBy(alerts, 'entity')} />
        <StatList title="By state" entries={countBy(alerts, 'state')} />
      </div>
      <div className="mb-3 flex flex-wrap items-end gap-3">
        <label className="flex flex-col text-xs font-medium">Severity
          <select className="input mt-1" value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">all</option><option value="critical">critical</option><option value="warning">warning</option><option value="info">info</option>
          </select>
        </label>
        <label className="flex flex-col text-xs font-medium">Silence for
          <select className="input mt-1" value={duration} onChange={(e) => setDuration(e.target.value)}>
            {['30m', '1h', '4h', '24h'].map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <p role="status" aria-live="polite" className="text-sm">{message}</p>
      </div>
      <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
        <table className="min-w-full divide-y divide-slate-200 bg-white dark:divide-slate-700 dark:bg-slate-900">
          <thead className="bg-slate-100 dark:bg-slate-800">
            <tr>{['When', 'Entity', 'Severity', 'State', 'Message', 'Actions'].map((h) => <th key={h} scope="col" className="th">{h}</th>)}</tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {shown.map((a) => {
              const t = a.created_at_ms ?? toMs(a.created_at);
              return (
                <tr key={a.id} data-testid="alert-row">
                  <td className="td whitespace-nowrap" title={formatDateTime(t)}>{formatRelative(t)}</td>
                  <td className="td"><EntityLink entity={a.entity} /></td>
                  <td className="td"><SeverityBadge severity={a.severity} /></td>
                  <td className="td"><Badge>{a.state}</Badge>{a.acked_by ? <span className="ml-1 text-xs muted">by {a.acked_by}</span> : null}</td>
                  <td className="td max-w-xl break-words text-xs">
                    {a.prediction_id ? <a className="underline decoration-slate-400 underline-offset-2 hover:decoration-2" href={`#/predictions/${encodeURIComponent(a.prediction_id)}`}>{a.message}</a> : a.message}
                  </td>
                  <td className="td whitespace-nowrap">
                    <button type="button" className="btn mr-2" disabled={a.state !== 'firing'} onClick={() => ack(a)} aria-label={`Acknowledge alert on ${a.entity}`}>Acknowledge</button>
                    <button type="button" className="btn" onClick={() => silence(a.entity)} aria-label={`Silence ${a.entity} for ${duration}`}>Silence</button>
                  </td>
                </tr>
              );
            })}
            {shown.length === 0 && <tr><td className="td muted" colSpan={6}>No alerts.</td></tr>}
          </tbody>
        </table>
      </div>
    </section>
  );
}
