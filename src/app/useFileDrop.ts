import { useEffect } from 'react';
import { useUiStore } from './stores/uiStore.ts';
import { useStatusStore } from './stores/statusStore.ts';
import { collectDrop } from './files/droppedFiles.ts';

function hasFiles(e: DragEvent): boolean {
  return [...(e.dataTransfer?.types ?? [])].includes('Files');
}

/** Page-wide drag and drop: files and folders dropped anywhere open; the overlay shows while dragging. */
export function useFileDrop(onFiles: (files: File[]) => void): void {
  useEffect(() => {
    // dragenter/dragleave fire for every child crossed; a depth count tells real exits apart.
    let depth = 0;
    const setDragging = useUiStore.getState().setDragging;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      // Without preventDefault the browser would navigate to the dropped file.
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      if (!e.dataTransfer) return;
      // Taken now, walked after: the DataTransfer is emptied once this handler returns.
      void collectDrop(e.dataTransfer).then(({ files, failures }) => {
        if (failures.length) useStatusStore.getState().pushMessage('error', `Could not read ${failures.join('; ')}.`);
        if (files.length) onFiles(files);
      });
    };
    // Capture phase: niivue stops drag events on its canvas, so bubbling listeners on window
    // would never hear a drop onto the image, the likeliest place for one.
    const opts = { capture: true };
    window.addEventListener('dragenter', enter, opts);
    window.addEventListener('dragover', over, opts);
    window.addEventListener('dragleave', leave, opts);
    window.addEventListener('drop', drop, opts);
    return () => {
      window.removeEventListener('dragenter', enter, opts);
      window.removeEventListener('dragover', over, opts);
      window.removeEventListener('dragleave', leave, opts);
      window.removeEventListener('drop', drop, opts);
    };
  }, [onFiles]);
}
