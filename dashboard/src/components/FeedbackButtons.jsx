import { useState } from 'react';
import { api, USER } from '../api.js';

// Confirm / Dismiss a prediction: POST /api/v1/feedback, then show the verdict the server stored.
export function FeedbackButtons({ prediction, onStored, post = api.feedback }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [stored, setStored] = useState(null);
  const verdict = stored?.verdict || prediction.feedback || null;

  const send = async (v) => {
    setBusy(true);
    setError(null);
    try {
      const fb = await post(prediction.id, v, USER);
      setStored(fb);
      if (onStored) onStored({ ...prediction, feedback: fb.verdict });
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="feedback">
      <button type="button" className="btn btn-primary" disabled={busy} onClick={() => send('confirmed')} aria-pressed={verdict === 'confirmed'}>
        Confirm
      </button>
      <button type="button" className="btn" disabled={busy} onClick={() => send('dismissed')} aria-pressed={verdict === 'dismissed'}>
        Dismiss
      </button>
      <span role="status" aria-live="polite" className="text-sm" data-testid="verdict">
        {busy ? 'Saving…' : verdict ? (
          <>Verdict: <strong className={verdict === 'confirmed' ? 'text-emerald-700 dark:text-emerald-300' : 'text-slate-700 dark:text-slate-300'}>{verdict}</strong>{stored?.user ? ` by ${stored.user}` : ''}</>
        ) : <span className="muted">No verdict yet</span>}
      </span>
      {error && <span role="alert" className="text-sm text-red-700 dark:text-red-300">{error}</span>}
    </div>
  );
}
