/**
 * Actions: one id, one label, at most one shortcut, one perform. Toolbar buttons, menus, the
 * keyboard handler and the help overlay all look actions up here, so a shortcut shown in the help
 * is by construction the one that works.
 */
export type ActionGroup = 'File' | 'Window' | 'View' | 'Labels' | 'Navigate' | 'Synthesize' | 'Study' | 'Help';

export const GROUP_ORDER: readonly ActionGroup[] = ['File', 'Window', 'View', 'Labels', 'Navigate', 'Synthesize', 'Study', 'Help'];

export interface Action {
  id: string;
  label: string;
  group: ActionGroup;
  /** Canonical form, e.g. "1", "L", "Shift+1", "?", "Escape" (see shortcutOf). */
  shortcut?: string;
  perform: () => void;
  /** A more specific label for now, e.g. "Show / hide Liver" for legend slot 1; null for `label`. */
  currentLabel?: () => string | null;
  /** Greyed out (and ignored by the keyboard) when this returns false. */
  enabled?: () => boolean;
}

export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
}

/**
 * The canonical shortcut of a key event. Digits and letters come from `code` so Shift+1 is
 * "Shift+1" on every keyboard layout; printable symbols come from `key` so "?" is "?" wherever it
 * sits.
 */
export function shortcutOf(e: KeyLike): string {
  let base: string;
  let shiftCounts = true;
  const code = e.code ?? '';
  if (/^Digit[0-9]$/.test(code)) base = code.slice(5);
  else if (/^Key[A-Z]$/.test(code)) base = code.slice(3);
  else if (/^Numpad[0-9]$/.test(code)) base = code.slice(6);
  else if (e.key.length === 1) {
    base = /[a-z]/i.test(e.key) ? e.key.toUpperCase() : e.key;
    // A symbol already says whether Shift was held ("?" vs "/").
    shiftCounts = /[a-z0-9]/i.test(e.key);
  } else base = e.key;
  const mods: string[] = [];
  if (e.ctrlKey) mods.push('Ctrl');
  if (e.altKey) mods.push('Alt');
  if (e.metaKey) mods.push('Meta');
  if (e.shiftKey && shiftCounts) mods.push('Shift');
  return [...mods, base].join('+');
}

/** "Shift+1" → ["Shift", "1"], for rendering as <kbd> keys. */
export function shortcutKeys(shortcut: string): string[] {
  return shortcut === '+' ? ['+'] : shortcut.split('+');
}

export class ActionRegistry {
  private readonly byId = new Map<string, Action>();
  private readonly byShortcut = new Map<string, Action>();

  register(action: Action): void {
    if (this.byId.has(action.id)) throw new Error(`action ${action.id} registered twice`);
    if (action.shortcut) {
      const clash = this.byShortcut.get(action.shortcut);
      if (clash) throw new Error(`shortcut ${action.shortcut} used by ${clash.id} and ${action.id}`);
      this.byShortcut.set(action.shortcut, action);
    }
    this.byId.set(action.id, action);
  }

  registerAll(actions: readonly Action[]): this {
    for (const a of actions) this.register(a);
    return this;
  }

  get(id: string): Action {
    const a = this.byId.get(id);
    if (!a) throw new Error(`no action ${id}`);
    return a;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  all(): Action[] {
    return [...this.byId.values()];
  }

  grouped(): { group: ActionGroup; actions: Action[] }[] {
    return GROUP_ORDER.map((group) => ({ group, actions: this.all().filter((a) => a.group === group) })).filter(
      (g) => g.actions.length > 0,
    );
  }

  isEnabled(id: string): boolean {
    const a = this.get(id);
    return a.enabled ? a.enabled() : true;
  }

  /** Perform by id; returns false if the action is disabled. */
  run(id: string): boolean {
    if (!this.isEnabled(id)) return false;
    this.get(id).perform();
    return true;
  }

  forShortcut(shortcut: string): Action | undefined {
    return this.byShortcut.get(shortcut);
  }

  /** The action a key event triggers, or undefined. */
  match(e: KeyLike): Action | undefined {
    return this.forShortcut(shortcutOf(e));
  }
}
