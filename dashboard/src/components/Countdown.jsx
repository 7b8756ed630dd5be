import { useNow } from '../live.jsx';
import { formatCountdown, formatDateTime, formatRelative } from '../format.js';

// A live countdown to an ETA with its P10–P90 interval, all in the viewer's time zone.
export function Countdown({ eta, low, high, now: fixedNow }) {
  const tick = useNow(1000);
  const now = fixedNow ?? tick;
  if (eta == null) return <span className="muted">no ETA</span>;
  const left = eta - now;
  return (
    <div data-testid="countdown">
      <div className={`text-2xl font-bold tabular-nums ${left < 0 ? 'text-red-700 dark:text-red-300' : ''}`}>
        <span className="sr-only">Time to failure: </span>
        <span data-testid="countdown-value">{left < 0 ? `overdue by ${formatCountdown(-left)}` : formatCountdown(left)}</span>
      </div>
      <div className="text-sm muted">
        <time dateTime={new Date(eta).toISOString()} title={formatDateTime(eta)}>{formatRelative(eta, now)}</time>
        {' · '}{formatDateTime(eta)}
      </div>
      {(low != null || high != null) && (
        <div className="text-xs muted" data-testid="countdown-interval">
          between {low != null ? formatRelative(low, now) : 'now'} and {high != null ? formatRelative(high, now) : 'beyond the forecast horizon'} (P10–P90)
        </div>
      )}
    </div>
  );
}
