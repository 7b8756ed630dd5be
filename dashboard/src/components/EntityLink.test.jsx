import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { EntityLink } from './EntityLink.jsx';

describe('EntityLink', () => {
  it('links to the entity page, underlined so colour is not the only cue', () => {
    render(<p>before <EntityLink entity="db 1/a" /> after</p>);
    const link = screen.getByRole('link', { name: 'db 1/a' });
    expect(link.getAttribute('href')).toBe('#/entity/db%201%2Fa');
    expect(link.className.split(' ')).toContain('underline');
  });

  it('hands the click to onOpen instead of following the link', () => {
    const onOpen = vi.fn();
    render(<EntityLink entity="api-1" onOpen={onOpen} />);
    fireEvent.click(screen.getByRole('link', { name: 'api-1' }));
    expect(onOpen).toHaveBeenCalledWith('api-1');
  });
});
