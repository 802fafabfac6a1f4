import { useServices } from '../appContext.tsx';
import { useUiStore } from '../stores/uiStore.ts';
import { useLabelStore } from '../stores/labelStore.ts';
import { Modal } from './Modal.tsx';
import { Kbd } from './Kbd.tsx';

/** Every registered action with its shortcut, straight from the registry. */
export function HelpOverlay() {
  const { actions } = useServices();
  const open = useUiStore((s) => s.overlay === 'help');
  // Re-render when the legend changes: label actions describe the entry they toggle.
  useLabelStore((s) => s.labels);
  const close = () => useUiStore.getState().openOverlay(null);
  if (!open) return null;
  return (
    <Modal title="Keyboard shortcuts" onClose={close} testId="help-overlay" wide>
      <div className="help-columns">
        {actions.grouped().map(({ group, actions: list }) => (
          <section key={group} className="help-group">
            <h3>{group}</h3>
            <ul>
              {list.map((a) => (
                <li key={a.id} data-action={a.id} className={actions.isEnabled(a.id) ? undefined : 'is-disabled'}>
                  <span>{a.currentLabel?.() ?? a.label}</span>
                  {a.shortcut ? <Kbd shortcut={a.shortcut} /> : <span className="muted">–</span>}
                </li>
              ))}
            </ul>
          </section>
        ))}
        <section className="help-group">
          <h3>Mouse (viewer)</h3>
          <ul>
            <li><span>Move crosshair</span><span className="muted">left click / drag</span></li>
            <li><span>Custom window</span><span className="muted">right drag</span></li>
            <li><span>Change slice</span><span className="muted">scroll wheel</span></li>
            <li><span>Rotate 3-D view</span><span className="muted">drag in 3-D tile</span></li>
            <li><span>Pan slice</span><span className="muted">middle drag</span></li>
          </ul>
        </section>
      </div>
      <p className="hint">Shortcuts are ignored while typing in a text field (except Esc).</p>
    </Modal>
  );
}
