import { describe, expect, it, vi, afterEach } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { Countdown } from './Countdown.jsx';

afterEach(() => vi.useRealTimers());

describe('Countdown', () => {
  it('shows the time left to the ETA and its P10–P90 interval', () => {
    const now = Date.UTC(2026, 10, 24, 10, 0, 0);
    const eta = now + (3600 + 2 * 60 + 5) * 1000;
    render(<Countdown eta={eta} low={now + 30 * 60e3} high={now + 3 * 3600e3} now={now} />);
    expect(screen.getByTestId('countdown-value').textContent).toBe('1h 02m 05s');
    const interval = screen.getByTestId('countdown-interval').textContent;
    expect(interval).toMatch(/in 30 minutes/);
    expect(interval).toMatch(/in 3 hours/);
    expect(screen.getByRole('time').getAttribute('datetime')).toBe(new Date(eta).toISOString());
  });

  it('ticks every second without a re-render from its parent', () => {
    vi.useFakeTimers();
    const start = Date.UTC(2026, 10, 24, 10, 0, 0);
    vi.setSystemTime(start);
    render(<Countdown eta={start + 65_000} />);
    expect(screen.getByTestId('countdown-value').textContent).toBe('1m 05s');
    act(() => { vi.advanceTimersByTime(3000); });
    expect(screen.getByTestId('countdown-value').textContent).toBe('1m 02s');
  });

  it('says overdue once the ETA has passed, and "no ETA" without one', () => {
    const now = Date.UTC(2026, 10, 24, 10, 0, 0);
    const { rerender } = render(<Countdown eta={now - 90_000} now={now} />);
    expect(screen.getByTestId('countdown-value').textContent).toBe('overdue by 1m 30s');
    rerender(<Countdown eta={null} now={now} />);
    expect(screen.getByText('no ETA')).toBeTruthy();
  });
});
