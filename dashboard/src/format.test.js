import { describe, expect, it } from 'vitest';
import { confidenceOf, etaOf, formatCountdown, formatRelative, isOpen, toMs } from './format.js';
import { reducer } from './live.jsx';
import { entityRows } from './views/Overview.jsx';

describe('format', () => {
  it('reads ETAs from ms twins, RFC 3339 strings or details', () => {
    expect(etaOf({ eta_ms: 5, eta_low_ms: 4, eta_high_ms: 9 })).toEqual({ eta: 5, low: 4, high: 9 });
    expect(etaOf({ eta: '2026-11-24T10:00:00Z' }).eta).toBe(Date.UTC(2026, 10, 24, 10));
    expect(etaOf({ details: { eta: 7, eta_high: 8 } })).toEqual({ eta: 7, low: null, high: 8 });
    expect(etaOf({ kind: 'anomaly' }).eta).toBeNull();
    expect(toMs('not a time')).toBeNull();
  });
  it('formats countdowns and relative times', () => {
    expect(formatCountdown(2 * 86400e3 + 3 * 3600e3)).toBe('2d 03h 00m');
    expect(formatCountdown(59_000)).toBe('0m 59s');
    expect(formatRelative(1_000_000 + 2 * 3600e3, 1_000_000)).toBe('in 2 hours');
    expect(formatRelative(null)).toBe('—');
  });
  it('prefers a forecast probability to a score for confidence', () => {
    expect(confidenceOf({ score: 0.7, probability: 0.83 })).toEqual({ value: 0.83, label: 'probability' });
    expect(confidenceOf({ score: 0.7 })).toEqual({ value: 0.7, label: 'score' });
    expect(isOpen({ open: false })).toBe(false);
    expect(isOpen({ closed_at: '2026-11-24T10:00:00Z' })).toBe(false);
    expect(isOpen({})).toBe(true);
  });
});

describe('live state', () => {
  it('applies full snapshots and diffs of entities from the stream', () => {
    let s = reducer({ entities: {}, predictions: {}, alerts: {} }, { type: 'entities:full', entities: [{ entity: 'a', score: 0.1 }, { entity: 'b' }] });
    s = reducer(s, { type: 'entities:diff', changed: [{ entity: 'a', score: 0.9 }, { entity: 'c' }], removed: ['b'] });
    expect(Object.keys(s.entities).sort()).toEqual(['a', 'c']);
    expect(s.entities.a.score).toBe(0.9);
  });
  it('joins open predictions to entities with the soonest ETA', () => {
    const rows = entityRows(
      { a: { entity: 'a', health: 'warning', simulated: true }, b: { entity: 'b', health: 'ok' } },
      { p1: { id: 'p1', entity: 'a', eta_ms: 500, severity: 'critical' }, p2: { id: 'p2', entity: 'a', eta_ms: 300, severity: 'warning' }, p3: { id: 'p3', entity: 'b', open: false } },
    );
    const a = rows.find((r) => r.entity === 'a');
    expect(a).toMatchObject({ open: 2, eta: 300, worst: 'critical', simulated: true });
    expect(rows.find((r) => r.entity === 'b')).toMatchObject({ open: 0, eta: null });
  });
});
