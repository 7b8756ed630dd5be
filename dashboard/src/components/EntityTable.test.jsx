import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { EntityTable } from './EntityTable.jsx';

const now = Date.UTC(2026, 10, 24, 10, 0, 0);
const rows = [
  { entity: 'web-1', kind: 'host', simulated: true, health: 'ok', score: 0.2, open: 0, eta: null },
  { entity: 'api-1', kind: 'service', simulated: true, health: 'critical', score: 0.93, open: 1, worst: 'warning', eta: now + 600e3 },
  { entity: 'db-1', kind: 'database', simulated: true, health: 'warning', score: 0.7, open: 1, worst: 'warning', eta: now + 60e3 },
  { entity: 'this-host', kind: 'host', simulated: false, health: 'learning', score: null, open: 2, worst: 'critical', eta: null },
];
const names = () => screen.getAllByTestId('entity-row').map((r) => r.dataset.entity);

describe('EntityTable', () => {
  it('puts the worst open predictions first by default, and sorts by any column on click, both ways', () => {
    render(<EntityTable rows={rows} now={now} />);
    expect(names()).toEqual(['this-host', 'api-1', 'db-1', 'web-1']); // critical prediction, then warnings by name
    expect(screen.getByRole('columnheader', { name: /Open predictions/ }).getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(screen.getByRole('button', { name: /Health/ }));
    expect(names()).toEqual(['api-1', 'db-1', 'web-1', 'this-host']);
    fireEvent.click(screen.getByRole('button', { name: /Score/ }));
    expect(names()).toEqual(['api-1', 'db-1', 'web-1', 'this-host']); // desc, missing last
    fireEvent.click(screen.getByRole('button', { name: /Score/ }));
    expect(names()).toEqual(['web-1', 'db-1', 'api-1', 'this-host']); // asc, missing still last
    fireEvent.click(screen.getByRole('button', { name: /Soonest failure/ }));
    expect(names().slice(0, 2)).toEqual(['db-1', 'api-1']);
    expect(screen.getByRole('columnheader', { name: /Soonest failure/ }).getAttribute('aria-sort')).toBe('ascending');
  });

  it('filters by health, kind and source and searches by name', () => {
    render(<EntityTable rows={rows} now={now} />);
    fireEvent.change(screen.getByLabelText('Health'), { target: { value: 'critical' } });
    expect(names()).toEqual(['api-1']);
    fireEvent.change(screen.getByLabelText('Health'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'host' } });
    expect(names().sort()).toEqual(['this-host', 'web-1']);
    fireEvent.change(screen.getByLabelText('Source'), { target: { value: 'real' } });
    expect(names()).toEqual(['this-host']);
    fireEvent.change(screen.getByLabelText('Source'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'DB' } });
    expect(names()).toEqual(['db-1']);
    expect(screen.getByTestId('entity-count').textContent).toBe('1 of 4 entities');
  });

  it('marks simulated entities and pages a thousand rows', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ entity: `host-${i}`, kind: 'host', simulated: i % 2 === 0, health: 'ok', score: i / 1000, open: 0, eta: null }));
    render(<EntityTable rows={many} now={now} pageSize={50} />);
    expect(screen.getAllByTestId('entity-row')).toHaveLength(50);
    expect(screen.getByText('Page 1 of 20')).toBeTruthy();
    expect(names()[0]).toBe('host-0'); // nothing open: by name, numbers in names compared as numbers
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.getByText('Page 2 of 20')).toBeTruthy();
    expect(names()[0]).toBe('host-50');
    expect(screen.getAllByTestId('sim-badge').length).toBe(25);
  });

  it('underlines entity links so they stand apart from the badge text without colour (both themes)', () => {
    render(<EntityTable rows={rows} now={now} />);
    const link = screen.getByRole('link', { name: 'api-1' });
    expect(link.getAttribute('href')).toBe('#/entity/api-1');
    expect(link.className.split(' ')).toContain('underline');
    expect(link.className).not.toMatch(/(^| )hover:underline/); // not only on hover
  });
});
