import { createRoot } from 'react-dom/client';
import './styles.css';
import { App } from './App.tsx';
import { AppContext, type AppServices, type Pickers } from './appContext.tsx';
import { ViewerController } from './viewer/ViewerController.ts';
import { createRegistry } from './actions/appActions.ts';
import { attachKeyboard } from './actions/keyboard.ts';
import { bridgeViewerToStores } from './bridge.ts';
import { openLocalFiles } from './files/openLocalFiles.ts';
import { DicomClient } from './files/dicomClient.ts';
import { createDicomOpener } from './files/dicomOpen.ts';
import { dialogQuestions } from './files/dicomDialogs.ts';
import { dicomHoldsKeyboard } from './stores/dicomStore.ts';
import { startComputeWorker } from './compute/computeClient.ts';
import { downloadSample, resolveDemo, type DemoCase } from './demoCase.ts';
import { useDemoStore } from './stores/demoStore.ts';
import { createDemoActions } from './actions/demoActions.ts';
import { useStatusStore } from './stores/statusStore.ts';
import { useUiStore } from './stores/uiStore.ts';
import { installTestHook } from './testHook.ts';
import { createSynthesisService } from './synthesis/synthesisService.ts';
import { createSynthesisActions } from './actions/synthesisActions.ts';
import { createStudyActions } from './readerStudy/studyActions.ts';
import { studyHoldsKeyboard } from './readerStudy/studyStore.ts';
import { LabService } from './qualityLab/labService.ts';
import { setLabService } from './qualityLab/labContext.ts';
import { createLabActions } from './qualityLab/labActions.ts';
import { labHoldsKeyboard } from './qualityLab/labStore.ts';

const viewer = new ViewerController();
bridgeViewerToStores(viewer);

let pickers: Pickers = { image: () => {}, labels: () => {}, dicomFiles: () => {}, dicomFolder: () => {} };
// The DICOM worker (and its WASM) starts on the first DICOM drop, not with the page.
const dicom = createDicomOpener(viewer, new DicomClient(), dialogQuestions);

async function openDemo(demo: DemoCase): Promise<void> {
  await viewer.loadCase(demo.image, demo.labels, 'demo');
  useDemoStore.getState().setLoaded(demo.kind, demo.description);
}

function loadDemo(): Promise<void> {
  return resolveDemo()
    .then(openDemo)
    .catch((err: unknown) => {
      useStatusStore.getState().pushMessage('error', `Could not load the demo case: ${err instanceof Error ? err.message : String(err)}`);
    });
}

async function openSample(): Promise<void> {
  const demo = useDemoStore.getState();
  if (demo.sample === 'downloading') return;
  demo.setSample('downloading');
  try {
    await openDemo(await downloadSample());
    useDemoStore.getState().setSample('idle');
  } catch (err) {
    const message = `Could not open the TotalSegmentator sample: ${err instanceof Error ? err.message : String(err)}`;
    useDemoStore.getState().setSample('failed', message);
    useStatusStore.getState().pushMessage('error', message);
  }
}

const actions = createRegistry({
  viewer,
  pickImage: () => pickers.image(),
  pickLabels: () => pickers.labels(),
  pickDicomFolder: () => pickers.dicomFolder(),
  pickDicomFiles: () => pickers.dicomFiles(),
  loadDemo: () => void loadDemo(),
});
actions.registerAll(createSynthesisActions(createSynthesisService(viewer)));
actions.registerAll(createDemoActions(() => void openSample()));
actions.registerAll(createStudyActions());
const lab = new LabService(viewer);
setLabService(lab);
actions.registerAll(createLabActions(lab));
// While the reader study covers the workbench, only Help keys reach the workbench's actions.
attachKeyboard(actions, () => useUiStore.getState().overlay !== null || dicomHoldsKeyboard() || studyHoldsKeyboard() || labHoldsKeyboard());

const services: AppServices = {
  viewer,
  actions,
  openFiles: (files, role) => openLocalFiles(viewer, files, role, dicom),
  registerPickers: (p) => {
    pickers = p;
  },
};

let resolveReady: () => void = () => {};
installTestHook(new Promise<void>((r) => (resolveReady = r)));

let attached = false;
async function onCanvas(canvas: HTMLCanvasElement): Promise<void> {
  if (attached) return;
  attached = true;
  try {
    await viewer.attach(canvas);
    await loadDemo();
  } catch (err) {
    useStatusStore.getState().pushMessage('error', `The viewer could not start (WebGL2 needed): ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    resolveReady();
  }
}

// tfjs initialises in its worker, off this thread, so it can start alongside the viewer.
startComputeWorker();
const handleCanvas = (c: HTMLCanvasElement) => void onCanvas(c);

createRoot(document.getElementById('root')!).render(
  <AppContext.Provider value={services}>
    <App onCanvas={handleCanvas} />
  </AppContext.Provider>,
);
