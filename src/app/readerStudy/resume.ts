/** After a reload (or a crashed tab), reopen the reading session that was active. */
import { useReaderSessionStore } from './readerSessionStore.ts';
import { getPersistence } from './session.ts';
import { useStudyStore } from './studyStore.ts';

export async function resumeActiveSession(): Promise<boolean> {
  const p = getPersistence();
  const active = await p.getActive();
  if (!active) return false;
  const study = await useStudyStore.getState().loadStudy(active.studyId);
  if (!study) {
    await p.setActive(null);
    return false;
  }
  useStudyStore.getState().setMode('read');
  await useReaderSessionStore.getState().begin(study, active.readerId);
  return true;
}
