import { useEffect } from 'react';
import { useStatusStore } from '../stores/statusStore.ts';
import { threadsLabel } from '../compute/messages.ts';

/** Info messages step aside after a while; errors stay until dismissed. */
const INFO_MS = 10_000;
import { useCaseStore } from '../stores/caseStore.ts';

function Backend() {
  const { backendState, backend, backendError } = useStatusStore();
  if (backendState === 'initialising') {
    return (
      <span className="status-item" data-testid="status-backend" data-backend="">
        <span className="spinner" aria-hidden="true" /> Compute: starting…
      </span>
    );
  }
  if (backendState === 'failed' || !backend) {
    return (
      <span className="status-item is-error" data-testid="status-backend" data-backend="none" title={backendError ?? ''}>
        Compute: unavailable
      </span>
    );
  }
  const tip = [
    backend.adapter ? `Adapter: ${backend.adapter}` : null,
    backend.isFallbackAdapter ? 'Software fallback adapter (no hardware GPU): expect slow compute.' : null,
    backend.threads ? `CPU kernels on ${backend.threads.threads} of ${backend.threads.requested} requested threads${backend.threads.reason ? `: ${backend.threads.reason}` : ''}` : null,
    ...backend.failures.map((f) => `${f.name} failed: ${f.error}`),
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <span className="status-item" data-testid="status-backend" data-backend={backend.name} title={tip}>
      <span className={`dot dot-${backend.name}`} aria-hidden="true" />
      tfjs <strong data-testid="status-backend-name">{backend.name}</strong>
      {backend.adapter ? <span className="muted"> · {backend.adapter}</span> : null}
      {backend.isFallbackAdapter ? <span className="muted"> (software)</span> : null}
      {backend.threads ? (
        <span className="muted" data-testid="status-threads" data-threads={backend.threads.threads}>
          {' '}
          · {threadsLabel(backend.threads)}
        </span>
      ) : null}
    </span>
  );
}

function Messages() {
  const { messages, dismissMessage } = useStatusStore();
  const last = messages[messages.length - 1];
  useEffect(() => {
    if (!last || last.level !== 'info') return;
    const t = setTimeout(() => dismissMessage(last.id), INFO_MS);
    return () => clearTimeout(t);
  }, [last, dismissMessage]);
  if (!last) return <span className="status-item muted">Ready</span>;
  return (
    <span className={`status-item status-message is-${last.level}`} role={last.level === 'error' ? 'alert' : 'status'} data-testid="status-message" data-level={last.level} title={last.text}>
      {last.text}
      <button type="button" className="link-btn" onClick={() => dismissMessage(last.id)} aria-label="Dismiss message">
        ×
      </button>
    </span>
  );
}

/** Work that takes more than a moment, each with its Cancel where it can be stopped. */
function Tasks() {
  const tasks = useStatusStore((s) => s.tasks);
  return (
    <>
      {tasks.map((t) => (
        <span key={t.id} className="status-item" data-testid="status-task" role="status">
          <span className="spinner" aria-hidden="true" /> {t.text}
          {t.cancel ? (
            <button type="button" className="link-btn" data-testid="status-task-cancel" onClick={t.cancel}>
              Cancel
            </button>
          ) : null}
        </span>
      ))}
    </>
  );
}

export function StatusBar() {
  const loading = useCaseStore((s) => s.loading);
  const busy = useStatusStore((s) => s.tasks.length > 0);
  return (
    <footer className="statusbar">
      <Messages />
      <span className="toolbar-spacer" />
      <Tasks />
      {loading && !busy ? <span className="status-item">Loading {loading}…</span> : null}
      <span className="status-item muted">Local only · nothing uploaded</span>
      <Backend />
    </footer>
  );
}
