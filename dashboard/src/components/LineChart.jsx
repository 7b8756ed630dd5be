import { useEffect, useRef } from 'react';
import {
  Chart, LineController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend,
} from 'chart.js';
import { formatDateTime, formatShortDateTime, formatTime } from '../format.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend);

function isDark() {
  return typeof document !== 'undefined' && document.documentElement.classList.contains('dark');
}

// A time chart on Chart.js: x is Unix ms on a linear axis labelled in the viewer's time zone.
// `datasets` are Chart.js datasets of {x, y} points; `y2` adds a right-hand 0..1 axis (anomaly score).
// The Chart instance is kept on the canvas (canvas.chart) so tests can read the data it draws.
export function LineChart({ datasets, label, height = 220, y2 = false, yMax }) {
  const canvasRef = useRef(null);
  const chartRef = useRef(null);

  useEffect(() => {
    const dark = isDark();
    const grid = dark ? 'rgba(148,163,184,0.15)' : 'rgba(100,116,139,0.15)';
    const text = dark ? '#cbd5e1' : '#334155';
    const chart = new Chart(canvasRef.current, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: { labels: { color: text, boxWidth: 12, filter: (item) => !item.text.startsWith('_') } },
          tooltip: { callbacks: { title: (items) => (items.length ? formatDateTime(items[0].parsed.x) : '') } },
        },
        scales: {
          x: {
            type: 'linear',
            grid: { color: grid },
            // Hours within a day; day and hour when the axis spans more than 20 hours.
            ticks: { color: text, maxTicksLimit: 8, callback(v) { return this.max - this.min > 72e6 ? formatShortDateTime(v) : formatTime(v); } },
          },
          y: { ticks: { color: text }, grid: { color: grid }, max: yMax },
          ...(y2 ? { y2: { position: 'right', min: 0, max: 1, ticks: { color: text }, grid: { drawOnChartArea: false }, title: { display: true, text: 'anomaly score', color: text } } } : {}),
        },
      },
    });
    chartRef.current = chart;
    canvasRef.current.chart = chart;
    return () => chart.destroy();
  }, [y2, yMax]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    chart.data.datasets = datasets;
    chart.update('none');
  }, [datasets]);

  const points = datasets.reduce((n, d) => n + (d.data ? d.data.length : 0), 0);
  return (
    <div style={{ height }} className="relative">
      <canvas ref={canvasRef} role="img" aria-label={`${label}: ${points} points`} data-points={points} data-testid="chart" />
    </div>
  );
}
