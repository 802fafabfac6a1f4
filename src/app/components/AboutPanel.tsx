import { useUiStore } from '../stores/uiStore.ts';
import { Modal } from './Modal.tsx';

export function AboutPanel() {
  const open = useUiStore((s) => s.overlay === 'about');
  const close = () => useUiStore.getState().openOverlay(null);
  if (!open) return null;
  return (
    <Modal title="About FreeTumor Workbench" onClose={close} testId="about-panel">
      <p>
        A browser workbench for research on synthetic tumours in CT, after the FreeTumor method. Research use only; not a
        medical device and not for diagnosis.
      </p>
      <h3>Privacy</h3>
      <p data-testid="privacy-statement">
        Patient data never leaves this machine. Images you open are read by this browser tab from your disk; nothing is
        uploaded, and computation runs locally (WebGPU, WebGL or CPU).
      </p>
      <p data-testid="dicom-privacy-statement">
        DICOM series are converted in this tab (dcm2niix, WebAssembly); the converted image keeps no patient fields. DICOM the
        workbench writes (SEG, derived series) leaves out patient, study, people and date fields unless you tick “keep DICOM
        identifiers”; it keeps the study, series and frame-of-reference UIDs so a SEG links to its source series.
      </p>
      <h3>Demo data</h3>
      <p data-testid="demo-phantom">
        Without the real example beside it, the workbench starts on an <strong>abdominal phantom</strong> it generates in
        this tab from a seed (<code>abdomen_phantom_ct.nii</code>): body wall, spine, aorta, liver, spleen, pancreas and
        kidneys with typical CT values and noise. It is not a patient and comes from no dataset.
      </p>
      <p data-testid="demo-attribution">
        The real demo CT (<code>example_ct.nii.gz</code>) and its label map (<code>example_seg.nii.gz</code>) come from the{' '}
        <strong>TotalSegmentator</strong> repository (github.com/wasserth/TotalSegmentator,{' '}
        <code>tests/reference_files/</code>), licensed under the <strong>Apache License 2.0</strong>. They are not part of
        this project: the development server serves them from <code>../shared/data</code>, and “Open the TotalSegmentator
        sample” downloads them from that repository (a pinned commit), checked by SHA-256.
      </p>
      <p>
        The labels are <strong>TotalSegmentator model output</strong>, not manual annotation. The scan's provenance and
        consent are not documented by the source.
      </p>
      <blockquote className="citation">
        Wasserthal J. et al., “TotalSegmentator: Robust Segmentation of 104 Anatomic Structures in CT Images”,
        Radiology: Artificial Intelligence, 2023.
      </blockquote>
      <h3>Software</h3>
      <p className="muted">Viewer: NiiVue. Compute: TensorFlow.js. DICOM: dcm2niix (WebAssembly), dcmjs. UI: React.</p>
    </Modal>
  );
}
