import { useMemo } from 'react';
import { useLive, useNow } from '../live.jsx';
import { EntityTable } from '../components/EntityTable.jsx';
import { etaOf, isOpen, severityRank } from '../format.js';

// Entity rows joined with their open predictions (count and soonest ETA).
export function entityRows(entities, predictions) {
  const open = new Map();
  for (const p of Object.values(predictions)) {
    if (!isOpen(p)) continue;
    const e = open.get(p.entity) || { n: 0, eta: null, worst: null };
    e.n += 1;
    if ((severityRank[p.severity] || 0) > (severityRank[e.worst] || 0)) e.worst = p.severity;
    const { eta } = etaOf(p);
    if (eta != null && (e.eta == null || eta < e.eta)) e.eta = eta;
    open.set(p.entity, e);
  }
  return Object.values(entities).map((e) => {
    const o = open.get(e.entity);
    return {
      entity: e.entity,
      kind: e.kind,
      simulated: !!e.simulated,
      health: e.health,
      score: typeof e.score === 'number' ? e.score : null,
      open: o ? o.n : e.open_prediction ? 1 : 0,
      worst: o ? o.worst : null,
      eta: o ? o.eta : null,
    };
  });
}

function Stat({ label, value, tone = '' }) {
  return (
    <div className="card">
      <div className="text-xs font-semibold uppercase tracking-wide muted">{label}</div>
      <div className={`mt-1 text-2xl font-bold tabular-nums ${tone}`}>{value}</div>
    </div>
  );
}

export function Overview() {
  const { state } = useLive();
  const now = useNow(5000);
  const rows = useMemo(() => entityRows(state.entities, state.predictions), [state.entities, state.predictions]);
  const count = (h) => rows.filter((r) => r.health === h).length;
  const openPreds = Object.values(state.predictions).filter(isOpen).length;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title" className="mb-4 text-xl font-bold">Fleet overview</h1>
      <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-5">
        <Stat label="Entities" value={rows.length} />
        <Stat label="Critical" value={count('critical')} tone="text-red-700 dark:text-red-300" />
        <Stat label="Warning" value={count('warning')} tone="text-amber-700 dark:text-amber-300" />
        <Stat label="Learning" value={count('learning')} />
        <Stat label="Open predictions" value={openPreds} />
      </div>
      {!state.entitiesLoaded ? <p className="muted">Loading entities…</p> : <EntityTable rows={rows} now={now} />}
    </section>
  );
}
