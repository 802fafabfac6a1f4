import { useSynthesisStore } from '../stores/synthesisStore.ts';
import { Kbd } from './Kbd.tsx';

/** Over the viewer while placement mode waits for a click: what to do, or why the last click was refused. */
export function PlacementBanner() {
  const placing = useSynthesisStore((s) => s.placing);
  const organ = useSynthesisStore((s) => s.settings.organ);
  const message = useSynthesisStore((s) => s.message);
  if (!placing) return null;
  return (
    <div className={message ? 'placement-banner is-refused' : 'placement-banner'} role="status" data-testid="placement-banner">
      <span>{message ?? `Click on a slice inside the ${organ} to place the tumour there.`}</span>
      <span className="muted">
        <Kbd shortcut="P" subtle /> cancel
      </span>
    </div>
  );
}
