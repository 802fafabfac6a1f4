import type { ReactNode } from 'react';
import { useServices } from '../appContext.tsx';
import { useCaseStore } from '../stores/caseStore.ts';
import { useLabelStore } from '../stores/labelStore.ts';
import { useUiStore } from '../stores/uiStore.ts';
import { Kbd } from './Kbd.tsx';

interface Props {
  id: string;
  /** Overrides the action's label, e.g. a short toolbar caption. */
  children?: ReactNode;
  pressed?: boolean;
  className?: string;
  showShortcut?: boolean;
  testId?: string;
}

/** A button bound to an action by id: label, tooltip and shortcut all come from the registry. */
export function ActionButton({ id, children, pressed, className, showShortcut = false, testId }: Props) {
  const { actions } = useServices();
  // Subscribing re-renders the button when what `enabled` reads changes.
  useCaseStore((s) => s.image);
  useLabelStore((s) => s.labels.length);
  useUiStore((s) => s.overlay);
  const action = actions.get(id);
  const enabled = actions.isEnabled(id);
  const title = action.shortcut ? `${action.label} (${action.shortcut})` : action.label;
  return (
    <button
      type="button"
      className={['btn', pressed ? 'is-pressed' : '', className ?? ''].join(' ').trim()}
      title={title}
      aria-label={typeof children === 'string' ? undefined : action.label}
      aria-pressed={pressed}
      disabled={!enabled}
      data-action={id}
      data-testid={testId}
      onClick={() => actions.run(id)}
    >
      {children ?? action.label}
      {showShortcut && action.shortcut ? <Kbd shortcut={action.shortcut} subtle /> : null}
    </button>
  );
}
