import type { ActionRegistry } from './registry.ts';

/** Keys a focused slider, select or button uses itself. */
const CONTROL_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End']);

function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!CONTROL_KEYS.has(key)) return false;
  return target instanceof HTMLInputElement && target.type === 'range';
}

function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    // Sliders and checkboxes don't take text: shortcuts should still work after touching one.
    return !['range', 'checkbox', 'radio', 'button', 'file'].includes(target.type);
  }
  return false;
}

/**
 * Route key presses to actions. While `modalOpen()` is true only Help actions run: a key pressed
 * over a dialog should not change the image hidden behind it. Returns the detach function.
 */
export function attachKeyboard(registry: ActionRegistry, modalOpen: () => boolean = () => false, target: Window = window): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.isComposing) return;
    // Escape still closes overlays from inside a text field; other keys belong to the field.
    if (isTextEntry(e.target) && e.key !== 'Escape') return;
    if (ownsKey(e.target, e.key)) return;
    const action = registry.match(e);
    if (!action) return;
    if (modalOpen() && action.group !== 'Help') return;
    if (action.enabled && !action.enabled()) return;
    e.preventDefault();
    e.stopPropagation();
    action.perform();
  };
  // Capture phase: niivue listens on its canvas and would otherwise see digits and letters first.
  target.addEventListener('keydown', onKey, { capture: true });
  return () => target.removeEventListener('keydown', onKey, { capture: true });
}
