import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { FeedbackButtons } from './FeedbackButtons.jsx';

// `post` stands in for POST /api/v1/feedback (the e2e test drives the real one); it answers as the
// server does: the stored feedback, or a rejection with the server's message.
function recorder(answer) {
  const calls = [];
  const post = async (id, verdict, user) => {
    calls.push({ id, verdict, user });
    if (answer instanceof Error) throw answer;
    return { prediction_id: id, verdict, user, at: '2026-11-24T10:00:00Z' };
  };
  return { calls, post };
}

describe('FeedbackButtons', () => {
  it('posts Confirm and shows the verdict the server stored', async () => {
    const { calls, post } = recorder();
    let stored = null;
    render(<FeedbackButtons prediction={{ id: 'api-1:anomaly:1', feedback: null }} post={post} onStored={(p) => { stored = p; }} />);
    expect(screen.getByTestId('verdict').textContent).toMatch(/No verdict yet/);
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(screen.getByTestId('verdict').textContent).toMatch(/Verdict: confirmed by dashboard/));
    expect(calls).toEqual([{ id: 'api-1:anomaly:1', verdict: 'confirmed', user: 'dashboard' }]);
    expect(stored.feedback).toBe('confirmed');
    expect(screen.getByRole('button', { name: 'Confirm' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('posts Dismiss, and shows the server\'s error without changing the verdict', async () => {
    const ok = recorder();
    const { unmount } = render(<FeedbackButtons prediction={{ id: 'p2', feedback: 'confirmed' }} post={ok.post} />);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(screen.getByTestId('verdict').textContent).toMatch(/dismissed/));
    unmount();
    const bad = recorder(new Error('unknown prediction: p3'));
    render(<FeedbackButtons prediction={{ id: 'p3', feedback: null }} post={bad.post} />);
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('unknown prediction: p3'));
    expect(screen.getByTestId('verdict').textContent).toMatch(/No verdict yet/);
  });
});
