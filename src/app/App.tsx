import { useCallback } from 'react';
import { useServices } from './appContext.tsx';
import { Toolbar } from './components/Toolbar.tsx';
import { SidePanel } from './components/SidePanel.tsx';
import { ViewerCanvas } from './components/ViewerCanvas.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { HelpOverlay } from './components/HelpOverlay.tsx';
import { AboutPanel } from './components/AboutPanel.tsx';
import { DropOverlay } from './components/DropOverlay.tsx';
import { FilePickers } from './components/FilePickers.tsx';
import { useFileDrop } from './useFileDrop.ts';
import { StudyLayer } from './readerStudy/ui/StudyLayer.tsx';
import { QualityLabLayer } from './qualityLab/ui/QualityLabLayer.tsx';

export function App({ onCanvas }: { onCanvas: (canvas: HTMLCanvasElement) => void }) {
  const { openFiles } = useServices();
  useFileDrop(useCallback((files: File[]) => void openFiles(files, 'auto'), [openFiles]));
  return (
    <div className="app">
      <Toolbar />
      <SidePanel />
      <ViewerCanvas onCanvas={onCanvas} />
      <StatusBar />
      <FilePickers />
      <StudyLayer />
      <QualityLabLayer />
      <HelpOverlay />
      <AboutPanel />
      <DropOverlay />
    </div>
  );
}
