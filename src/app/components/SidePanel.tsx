import { CasePanel } from './CasePanel.tsx';
import { WindowPanel } from './WindowPanel.tsx';
import { LabelPanel } from './LabelPanel.tsx';
import { LesionPanel } from './LesionPanel.tsx';
import { SynthesisPanel } from './SynthesisPanel.tsx';

export function SidePanel() {
  return (
    <aside className="sidepanel" aria-label="Case, window and labels">
      <CasePanel />
      <WindowPanel />
      <LabelPanel />
      <LesionPanel />
      <SynthesisPanel />
    </aside>
  );
}
