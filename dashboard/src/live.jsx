// Live state shared by every view: entities, predictions, alerts and the service status, loaded once
// over REST and kept current by the Server-Sent Events of GET /api/v1/stream. While the stream is
// down the state is refreshed over REST every 5 s and the stream is retried.
import { createContext, useContext, useEffect, useMemo, useReducer, useRef } from 'react';
import { api } from './api.js';

const LiveContext = createContext(null);

const initial = {
  conn: 'connecting', // connecting | live | reconnecting | offline
  status: null,
  entities: {},
  entitiesLoaded: false,
  predictions: {},
  alerts: {},
  error: null,
  lastEventAt: null,
};

const byId = (list, key = 'id') => Object.fromEntries((list || []).map((x) => [x[key], x]));

export function reducer(state, action) {
  switch (action.type) {
    case 'conn':
      return { ...state, conn: action.conn };
    case 'status':
      return { ...state, status: action.status, lastEventAt: Date.now() };
    case 'entities:full':
      return { ...state, entities: byId(action.entities, 'entity'), entitiesLoaded: true, lastEventAt: Date.now() };
    case 'entities:diff': {
      const entities = { ...state.entities };
      for (const e of action.changed || []) entities[e.entity] = e;
      for (const name of action.removed || []) delete entities[name];
      return { ...state, entities, lastEventAt: Date.now() };
    }
    case 'predictions:load':
      return { ...state, predictions: { ...state.predictions, ...byId(action.predictions) } };
    case 'prediction':
      return { ...state, predictions: { ...state.predictions, [action.prediction.id]: action.prediction }, lastEventAt: Date.now() };
    case 'alerts:load':
      return { ...state, alerts: { ...state.alerts, ...byId(action.alerts) } };
    case 'alert':
      return { ...state, alerts: { ...state.alerts, [action.alert.id]: action.alert }, lastEventAt: Date.now() };
    case 'error':
      return { ...state, error: action.error };
    default:
      return state;
  }
}

export function LiveProvider({ children, connect = true }) {
  const [state, dispatch] = useReducer(reducer, initial);
  const esRef = useRef(null);

  useEffect(() => {
    if (!connect) return undefined;
    let stopped = false;
    let retryTimer = null;
    let pollTimer = null;

    const loadAll = async () => {
      try {
        const [entities, predictions, alerts, status] = await Promise.all([
          api.entities(), api.predictions(), api.alerts(), api.status().catch(() => null),
        ]);
        if (stopped) return;
        dispatch({ type: 'entities:full', entities });
        dispatch({ type: 'predictions:load', predictions });
        dispatch({ type: 'alerts:load', alerts });
        if (status) dispatch({ type: 'status', status });
        dispatch({ type: 'error', error: null });
      } catch (e) {
        if (!stopped) dispatch({ type: 'error', error: e.message });
      }
    };

    const startPolling = () => {
      if (pollTimer) return;
      pollTimer = setInterval(loadAll, 5000);
    };
    const stopPolling = () => {
      clearInterval(pollTimer);
      pollTimer = null;
    };

    const open = () => {
      if (stopped) return;
      if (typeof EventSource === 'undefined') {
        dispatch({ type: 'conn', conn: 'offline' });
        startPolling();
        return;
      }
      const es = new EventSource('/api/v1/stream');
      esRef.current = es;
      const on = (name, fn) => es.addEventListener(name, (ev) => {
        try {
          fn(JSON.parse(ev.data));
        } catch {
          /* a malformed frame is ignored */
        }
      });
      on('hello', () => {
        dispatch({ type: 'conn', conn: 'live' });
        stopPolling();
        loadAll(); // catch up with what happened while disconnected
      });
      on('status', (s) => dispatch({ type: 'status', status: s }));
      on('entities', (m) => {
        if (m.full) dispatch({ type: 'entities:full', entities: m.entities });
        else dispatch({ type: 'entities:diff', changed: m.changed, removed: m.removed });
      });
      on('prediction', (p) => dispatch({ type: 'prediction', prediction: p }));
      on('alert', (a) => dispatch({ type: 'alert', alert: a }));
      on('bye', () => dispatch({ type: 'conn', conn: 'reconnecting' }));
      es.onerror = () => {
        dispatch({ type: 'conn', conn: 'reconnecting' });
        startPolling();
        if (es.readyState === 2 /* CLOSED: the browser gave up (e.g. 503) */) {
          es.close();
          clearTimeout(retryTimer);
          retryTimer = setTimeout(open, 3000);
        }
      };
    };

    loadAll();
    open();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      stopPolling();
      if (esRef.current) esRef.current.close();
    };
  }, [connect]);

  const value = useMemo(() => ({ state, dispatch }), [state]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive() {
  const ctx = useContext(LiveContext);
  if (!ctx) throw new Error('useLive outside LiveProvider');
  return ctx;
}

// A value that changes every `ms`, to re-render countdowns.
export function useNow(ms = 1000) {
  const [, force] = useReducer((x) => x + 1, 0);
  useEffect(() => {
    const t = setInterval(force, ms);
    return () => clearInterval(t);
  }, [ms]);
  return Date.now();
}
