import { useUiStore } from '../stores/uiStore.ts';

export function DropOverlay() {
  const dragging = useUiStore((s) => s.dragging);
  if (!dragging) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-card">
        <strong>Drop NIfTI files or a DICOM series to open</strong>
        <span>An image, a label map (*_seg, *label*, *mask*), or both; a DICOM folder or files, with a DICOM SEG.</span>
        <span className="muted">Read locally in this tab — nothing is uploaded.</span>
      </div>
    </div>
  );
}
