// A link to an entity's page. Underlined, not only coloured: it usually sits beside text (the
// "simulated" badge, the resource) where colour alone would not mark it as a link (WCAG 1.4.1, axe
// rule link-in-text-block, in the light and the dark theme).
export const linkClass = 'text-blue-700 underline decoration-blue-700/40 underline-offset-2 hover:decoration-2 dark:text-blue-300 dark:decoration-blue-300/50';

export function EntityLink({ entity, onOpen }) {
  return (
    <a className={linkClass} href={`#/entity/${encodeURIComponent(entity)}`}
      onClick={onOpen ? (e) => { e.preventDefault(); onOpen(entity); } : undefined}>
      {entity}
    </a>
  );
}
