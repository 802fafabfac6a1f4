import { shortcutKeys } from '../actions/registry.ts';

const PRETTY: Record<string, string> = {
  Escape: 'Esc',
  Shift: '⇧',
  Meta: '⌘',
  ArrowUp: '↑',
  ArrowDown: '↓',
  ArrowLeft: '←',
  ArrowRight: '→',
  PageUp: 'PgUp',
  PageDown: 'PgDn',
};

export function Kbd({ shortcut, subtle = false }: { shortcut: string; subtle?: boolean }) {
  return (
    <span className={subtle ? 'kbd-group is-subtle' : 'kbd-group'}>
      {shortcutKeys(shortcut).map((k, n) => (
        <kbd key={n}>{PRETTY[k] ?? k}</kbd>
      ))}
    </span>
  );
}
