import { useServices } from '../appContext.tsx';
import { useViewStore } from '../stores/viewStore.ts';
import { WINDOW_PRESETS, widthLevel } from '../viewer/windowPresets.ts';
import { Kbd } from './Kbd.tsx';

export function WindowPanel() {
  const { actions } = useServices();
  const { preset, windowMin, windowMax } = useViewStore();
  const { width, level } = widthLevel(windowMin, windowMax);
  return (
    <section className="panel" aria-labelledby="window-heading">
      <h2 id="window-heading" className="panel-title">
        CT window
        <span className="panel-meta" data-testid="window-current">
          W {Math.round(width)} · L {Math.round(level)}
        </span>
      </h2>
      <div className="preset-grid">
        {WINDOW_PRESETS.map((p) => {
          const a = actions.get(`window.${p.id}`);
          return (
            <button
              key={p.id}
              type="button"
              className={preset === p.id ? 'preset is-pressed' : 'preset'}
              aria-pressed={preset === p.id}
              title={`${a.label} (${a.shortcut})`}
              data-testid={`window-preset-${p.id}`}
              onClick={() => actions.run(a.id)}
            >
              <span className="preset-name">{p.name}</span>
              <span className="preset-desc">{p.description}</span>
              {a.shortcut ? <Kbd shortcut={a.shortcut} subtle /> : null}
            </button>
          );
        })}
      </div>
      <p className="hint">Right-drag on a slice for a custom window.</p>
    </section>
  );
}
