import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { AttributionBars } from './AttributionBars.jsx';
import { metricContributions } from '../format.js';

const prediction = {
  attributions: [
    { feature: 'cpu_usage_percent.mean_1m', value: 97.5, contribution: 0.3 },
    { feature: 'memory_used_percent.slope_15m', value: 0.01, contribution: 0.1 },
    { feature: 'cpu_usage_percent.max_5m', value: 99.1, contribution: 0.2 },
  ],
};

describe('AttributionBars', () => {
  it('groups feature attributions by metric, largest first, bars relative to the largest', () => {
    const metrics = metricContributions(prediction, null);
    expect(metrics.map((m) => m.metric)).toEqual(['cpu_usage_percent', 'memory_used_percent']);
    expect(metrics[0].contribution).toBeCloseTo(0.5);
    render(<AttributionBars metrics={metrics} />);
    const items = screen.getAllByTestId('attribution');
    expect(items).toHaveLength(2);
    expect(within(items[0]).getByText('cpu_usage_percent')).toBeTruthy();
    const bars = screen.getAllByTestId('attribution-bar');
    expect(bars[0].style.width).toBe('100%');
    expect(bars[1].style.width).toBe('20%');
    // Shares of the total, for screen readers too.
    expect(screen.getByRole('meter', { name: /cpu_usage_percent: 83 %/ })).toBeTruthy();
    expect(within(items[0]).getByText(/mean_1m=97.5/)).toBeTruthy();
  });

  it('prefers the explanation endpoint\'s per-metric contributions', () => {
    const explanation = { metrics: [
      { metric: 'latency_ms', contribution: 0.05, features: [['latency_ms.ewma', 0.05]] },
      { metric: 'errors_total', contribution: 0.4, features: [['errors_total.rate', 0.4]] },
    ] };
    const metrics = metricContributions(prediction, explanation);
    expect(metrics.map((m) => m.metric)).toEqual(['errors_total', 'latency_ms']);
  });

  it('says so when there is nothing to show', () => {
    render(<AttributionBars metrics={[]} />);
    expect(screen.getByText('No attributions.')).toBeTruthy();
  });
});
