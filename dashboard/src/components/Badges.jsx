const tone = {
  critical: 'bg-red-100 text-red-800 ring-red-300 dark:bg-red-950 dark:text-red-200 dark:ring-red-800',
  warning: 'bg-amber-100 text-amber-900 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-800',
  ok: 'bg-emerald-100 text-emerald-800 ring-emerald-300 dark:bg-emerald-950 dark:text-emerald-200 dark:ring-emerald-800',
  info: 'bg-sky-100 text-sky-800 ring-sky-300 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-800',
  learning: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600',
  neutral: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600',
};

export function Badge({ kind = 'neutral', children, title }) {
  return (
    <span title={title} className={`inline-flex items-center rounded px-1.5 py-0.5 text-xs font-semibold ring-1 ring-inset ${tone[kind] || tone.neutral}`}>
      {children}
    </span>
  );
}

export function SeverityBadge({ severity }) {
  return <Badge kind={severity || 'neutral'}>{severity || 'unknown'}</Badge>;
}

export function HealthBadge({ health }) {
  return <Badge kind={health || 'neutral'}>{health || 'unknown'}</Badge>;
}

export function SimBadge() {
  return (
    <span title="Simulated entity (label simulated=&quot;true&quot;)" className="ml-1 inline-flex items-center rounded bg-violet-100 px-1 text-[10px] font-bold uppercase tracking-wide text-violet-800 dark:bg-violet-950 dark:text-violet-200" data-testid="sim-badge">
      simulated
    </span>
  );
}

const connText = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline (polling)' };
const connDot = { live: 'bg-emerald-500', connecting: 'bg-amber-500', reconnecting: 'bg-amber-500 animate-pulse', offline: 'bg-red-500' };

export function ConnectionBadge({ conn }) {
  return (
    <span role="status" aria-live="polite" data-testid="connection" data-state={conn} className="inline-flex items-center gap-1.5 text-sm">
      <span aria-hidden="true" className={`h-2.5 w-2.5 rounded-full ${connDot[conn] || 'bg-slate-400'}`} />
      {connText[conn] || conn}
    </span>
  );
}

// A 0..1 score as a small bar plus its number.
export function ScoreBar({ score, warning = 0.6, critical = 0.8 }) {
  if (score == null || !Number.isFinite(score)) return <span className="muted">—</span>;
  const color = score >= critical ? 'bg-red-600' : score >= warning ? 'bg-amber-500' : 'bg-emerald-600';
  return (
    <span className="inline-flex items-center gap-2">
      <span className="h-2 w-16 overflow-hidden rounded bg-slate-200 dark:bg-slate-700" aria-hidden="true">
        <span className={`block h-2 ${color}`} style={{ width: `${Math.min(100, Math.max(0, score * 100))}%` }} />
      </span>
      <span className="tabular-nums">{score.toFixed(2)}</span>
    </span>
  );
}
