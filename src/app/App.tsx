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
import { DicomDialogs } from './components/DicomDialogs.tsx';
import { useFileDrop } from './useFileDrop.ts';
import { StudyLayer } from './readerStudy/ui/StudyLayer.tsx';
import { QualityLabLayer } from './qualityLab/ui/QualityLabLayer.tsx';
import { routeLabDrop } from './qualityLab/labContext.ts';

export function App({ onCanvas }: { onCanvas: (canvas: HTMLCanvasElement) => void }) {
  const { openFiles } = useServices();
  // While the quality lab is open, dropped files are checkpoints for it.
  useFileDrop(useCallback((files: File[]) => void (routeLabDrop(files) || openFiles(files, 'auto')), [openFiles]));
  return (
    <div className="app">
      <Toolbar />
      <SidePanel />
      <ViewerCanvas onCanvas={onCanvas} />
      <StatusBar />
      <FilePickers />
      <DicomDialogs />
      <StudyLayer />
      <QualityLabLayer />
      <HelpOverlay />
      <AboutPanel />
      <DropOverlay />
    </div>
  );
}
