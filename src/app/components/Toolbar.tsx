import { ActionButton } from './ActionButton.tsx';
import { useViewStore, type Layout } from '../stores/viewStore.ts';

const LAYOUT_BUTTONS: { layout: Layout; caption: string }[] = [
  { layout: 'multiplanar', caption: 'MPR + 3-D' },
  { layout: 'axial', caption: 'Axial' },
  { layout: 'coronal', caption: 'Coronal' },
  { layout: 'sagittal', caption: 'Sagittal' },
  { layout: 'render', caption: '3-D' },
];

export function Toolbar() {
  const layout = useViewStore((s) => s.layout);
  return (
    <header className="toolbar" role="toolbar" aria-label="Main toolbar">
      <div className="brand">
        <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
          <circle cx="16" cy="16" r="10" fill="none" stroke="currentColor" strokeWidth="2.5" />
          <circle cx="19.5" cy="12.5" r="3.8" className="brand-dot" />
        </svg>
        <span className="brand-name">FreeTumor</span>
        <span className="brand-sub">Workbench</span>
      </div>
      <div className="toolbar-group">
        <ActionButton id="file.openImage">Open image</ActionButton>
        <ActionButton id="file.openLabels">Open labels</ActionButton>
        <ActionButton id="file.loadDemo">Demo case</ActionButton>
      </div>
      <div className="toolbar-group segmented" role="group" aria-label="Layout">
        {LAYOUT_BUTTONS.map(({ layout: l, caption }) => (
          <ActionButton key={l} id={`view.${l}`} pressed={layout === l} testId={`layout-${l}`}>
            {caption}
          </ActionButton>
        ))}
      </div>
      <div className="toolbar-spacer" />
      <div className="toolbar-group">
        <ActionButton id="study.open" testId="open-reader-study">
          Reader study
        </ActionButton>
        <ActionButton id="lab.open" testId="open-quality-lab">
          Quality lab
        </ActionButton>
        <ActionButton id="help.toggle" testId="open-help">
          Shortcuts
        </ActionButton>
        <ActionButton id="help.about" testId="open-about">
          About
        </ActionButton>
      </div>
    </header>
  );
}
