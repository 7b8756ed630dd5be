import { useEffect, useState } from 'react';
import { LiveProvider, useLive } from './live.jsx';
import { ConnectionBadge } from './components/Badges.jsx';
import { Overview } from './views/Overview.jsx';
import { EntityPage } from './views/EntityPage.jsx';
import { PredictionsView, PredictionDetail } from './views/Predictions.jsx';
import { AlertsView } from './views/Alerts.jsx';
import { ModelsView } from './views/Models.jsx';
import { isOpen } from './format.js';

// Hash routes: #/ · #/entity/<name> · #/predictions · #/predictions/<id> · #/alerts · #/models
export function parseRoute(hash) {
  const parts = (hash || '').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'entity' && parts[1]) return { view: 'entity', id: parts[1] };
  if (parts[0] === 'predictions') return parts[1] ? { view: 'prediction', id: parts[1] } : { view: 'predictions' };
  if (parts[0] === 'alerts') return { view: 'alerts' };
  if (parts[0] === 'models') return { view: 'models' };
  return { view: 'overview' };
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => {
      setRoute(parseRoute(window.location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

function ThemeToggle() {
  const [dark, setDark] = useState(() => document.documentElement.classList.contains('dark'));
  const toggle = () => {
    const next = !dark;
    document.documentElement.classList.toggle('dark', next);
    try { localStorage.setItem('foresight-theme', next ? 'dark' : 'light'); } catch { /* private mode */ }
    setDark(next);
  };
  return <button type="button" className="btn" onClick={toggle} aria-pressed={dark}>{dark ? 'Light theme' : 'Dark theme'}</button>;
}

function Shell() {
  const route = useRoute();
  const { state } = useLive();
  const open = Object.values(state.predictions).filter(isOpen).length;
  const firing = Object.values(state.alerts).filter((a) => a.state === 'firing').length;
  const nav = [
    ['overview', '#/', 'Fleet'],
    ['predictions', '#/predictions', `Predictions${open ? ` (${open})` : ''}`],
    ['alerts', '#/alerts', `Alerts${firing ? ` (${firing})` : ''}`],
    ['models', '#/models', 'Models'],
  ];
  const current = route.view === 'entity' ? 'overview' : route.view === 'prediction' ? 'predictions' : route.view;
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2 focus:text-black">Skip to content</a>
      <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/95 backdrop-blur dark:border-slate-800 dark:bg-slate-900/95">
        <div className="mx-auto flex max-w-screen-2xl flex-wrap items-center gap-4 px-4 py-2">
          <a href="#/" className="text-lg font-bold tracking-tight">Foresight</a>
          <nav aria-label="Main">
            <ul className="flex gap-1">
              {nav.map(([id, href, label]) => (
                <li key={id}>
                  <a href={href} aria-current={current === id ? 'page' : undefined}
                    className={`rounded-md px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 ${current === id ? 'bg-blue-700 text-white dark:bg-blue-600' : 'hover:bg-slate-100 dark:hover:bg-slate-800'}`}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="ml-auto flex items-center gap-3">
            {state.status?.simulated_entities > 0 && <span className="text-xs muted">simulator on ({state.status.simulated_entities})</span>}
            <ConnectionBadge conn={state.conn} />
            <ThemeToggle />
          </div>
        </div>
        {state.error && state.conn !== 'live' && (
          <div role="alert" className="bg-red-100 px-4 py-1 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">{state.error}</div>
        )}
      </header>
      <main id="main" className="mx-auto max-w-screen-2xl px-4 py-4">
        {route.view === 'overview' && <Overview />}
        {route.view === 'entity' && <EntityPage key={route.id} entity={route.id} />}
        {route.view === 'predictions' && <PredictionsView />}
        {route.view === 'prediction' && <PredictionDetail key={route.id} id={route.id} />}
        {route.view === 'alerts' && <AlertsView />}
        {route.view === 'models' && <ModelsView />}
      </main>
    </>
  );
}

export default function App() {
  return (
    <LiveProvider>
      <Shell />
    </LiveProvider>
  );
}
