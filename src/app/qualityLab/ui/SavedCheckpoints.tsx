/** The lab's "Saved checkpoints": the browser's checkpoint library (IndexedDB), load into G / S, download, rename, delete. */
import { useState } from 'react';
import { useCheckpointStore } from '../../checkpoints/checkpointStore.ts';
import { mb, type CheckpointEntry } from '../../checkpoints/library.ts';
import { getLabService } from '../labContext.ts';
import { useLabStore } from '../labStore.ts';
import type { ModelSlot } from '../messages.ts';

const ROLE_SHORT: Record<string, string> = { generator: 'G', segmentor: 'S', classifier: 'C' };

function savedWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** Save / download buttons under a loaded model's card. */
export function SlotCheckpointButtons({ slot }: { slot: ModelSlot }) {
  const lab = getLabService();
  const busy = useCheckpointStore((s) => s.busy);
  return (
    <div className="ql-row ql-ck-slot">
      <button type="button" className="btn btn-small" disabled={busy !== null} data-testid={`ql-save-${slot}`} onClick={() => void lab?.saveToLibrary(slot)} title="Keep this checkpoint in this browser (IndexedDB)">
        Save to browser
      </button>
      <button type="button" className="btn btn-small" data-testid={`ql-download-${slot}`} onClick={() => lab?.downloadSlot(slot)} title="Download the checkpoint file (the format the freetumor CLI reads)">
        Download
      </button>
    </div>
  );
}

function Row({ e }: { e: CheckpointEntry }) {
  const lab = getLabService();
  const st = useCheckpointStore();
  const modelJob = useLabStore((s) => s.progress !== null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const busy = st.busy !== null || modelJob;
  const roles = e.summary.networks.map((n) => (ROLE_SHORT[n.role] === n.name ? n.role : `${n.name} (${n.role})`)).join(', ');
  const extras = [e.summary.hasOptimizer ? 'optimiser' : null, e.summary.hasRngState ? 'RNG' : null].filter(Boolean).join(' + ');
  return (
    <li className="ql-ck-item" data-testid="ql-saved-item" data-name={e.name} data-id={e.id}>
      {renaming !== null ? (
        <form
          className="ql-row"
          onSubmit={(ev) => {
            ev.preventDefault();
            void st.rename(e.id, renaming).then((ok) => ok && setRenaming(null));
          }}
        >
          <input className="ql-ck-name-input" value={renaming} autoFocus onChange={(ev) => setRenaming(ev.target.value)}
            onKeyDown={(ev) => {
              // Escape cancels the rename, not the lab.
              if (ev.key !== 'Escape') return;
              ev.preventDefault();
              setRenaming(null);
            }}
            aria-label="New name" data-testid="ql-saved-rename-input" />
          <button type="submit" className="btn btn-small">
            OK
          </button>
          <button type="button" className="btn btn-small" onClick={() => setRenaming(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="ql-ck-name" title={`SHA-256 ${e.sha256}\nfrom ${e.source}${e.summary.description ? `\n${e.summary.description}` : ''}`}>
          {e.name}
        </div>
      )}
      <div className="ql-dim">
        {roles} · {e.preset} · step {e.step} · {mb(e.size)}
        {extras ? ` · ${extras}` : ''} · saved {savedWhen(e.savedAt)}
      </div>
      <div className="ql-row">
        {e.roles.includes('generator') ? (
          <button type="button" className="btn btn-small" disabled={busy} data-testid="ql-saved-load-generator" onClick={() => void lab?.loadFromLibrary(e.id, 'generator')}>
            Load as G
          </button>
        ) : null}
        {e.roles.includes('segmentor') ? (
          <button type="button" className="btn btn-small" disabled={busy} data-testid="ql-saved-load-segmentor" onClick={() => void lab?.loadFromLibrary(e.id, 'segmentor')}>
            Load as S
          </button>
        ) : null}
        <button type="button" className="btn btn-small" disabled={busy} data-testid="ql-saved-download" onClick={() => void lab?.downloadSaved(e.id)}>
          Download
        </button>
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => setRenaming(e.name)}>
          Rename
        </button>
        {confirmDelete ? (
          <>
            <button type="button" className="btn btn-small ql-danger" disabled={busy} data-testid="ql-saved-delete-confirm" onClick={() => void st.remove(e.id)}>
              Delete for good
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-small" disabled={busy} data-testid="ql-saved-delete" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>
    </li>
  );
}

export function SavedCheckpoints() {
  const st = useCheckpointStore();
  return (
    <section data-testid="ql-saved" data-status={st.status}>
      <h3>Saved checkpoints</h3>
      {st.status === 'loading' ? <p className="ql-dim">Reading browser storage…</p> : null}
      {st.status === 'ready' && !st.entries.length ? (
        <p className="ql-dim" data-testid="ql-saved-empty">
          None yet. "Save to browser" under a loaded model keeps it here across reloads.
        </p>
      ) : null}
      {st.entries.length ? (
        <ul className="ql-ck-list" data-testid="ql-saved-list">
          {st.entries.map((e) => (
            <Row key={e.id} e={e} />
          ))}
        </ul>
      ) : null}
      {st.busy === 'save' ? <p className="ql-dim">Saving…</p> : null}
      {st.notice ? (
        <p className="ql-dim" role="status" data-testid="ql-saved-notice">
          {st.notice}
        </p>
      ) : null}
      {st.error ? (
        <p className="ql-error-inline" role="alert" data-testid="ql-saved-error">
          {st.error}{' '}
          <button type="button" className="btn btn-small" onClick={() => st.setError(null)}>
            ×
          </button>
        </p>
      ) : null}
    </section>
  );
}
