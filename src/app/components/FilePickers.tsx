import { useEffect, useRef } from 'react';
import { useServices, type Pickers } from '../appContext.tsx';
import type { FileRole } from '../files/openLocalFiles.ts';

const NIFTI = '.nii,.nii.gz,.gz';
// DICOM files often have no extension at all, so the DICOM pickers filter nothing.

/** Hidden inputs behind the Open actions; also the handle e2e tests set files on. */
export function FilePickers() {
  const { openFiles, registerPickers } = useServices();
  const image = useRef<HTMLInputElement>(null);
  const labels = useRef<HTMLInputElement>(null);
  const dicomFiles = useRef<HTMLInputElement>(null);
  const dicomFolder = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const pickers: Pickers = {
      image: () => image.current?.click(),
      labels: () => labels.current?.click(),
      dicomFiles: () => dicomFiles.current?.click(),
      dicomFolder: () => dicomFolder.current?.click(),
    };
    registerPickers(pickers);
  }, [registerPickers]);
  useEffect(() => {
    // Not a React prop: webkitdirectory makes the input pick a folder (with relative paths).
    dicomFolder.current?.setAttribute('webkitdirectory', '');
  }, []);
  const onChange = (role: FileRole) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    // Reset so choosing the same file again still fires change.
    e.target.value = '';
    void openFiles(files, role);
  };
  return (
    <div className="sr-only">
      <label>
        Open image
        <input ref={image} type="file" accept={NIFTI} data-testid="file-input-image" onChange={onChange('image')} />
      </label>
      <label>
        Open label map
        <input ref={labels} type="file" accept={`${NIFTI},.dcm`} data-testid="file-input-labels" onChange={onChange('label')} />
      </label>
      <label>
        Open DICOM files
        <input ref={dicomFiles} type="file" multiple data-testid="file-input-dicom" onChange={onChange('auto')} />
      </label>
      <label>
        Open DICOM folder
        <input ref={dicomFolder} type="file" multiple data-testid="file-input-dicom-folder" onChange={onChange('auto')} />
      </label>
    </div>
  );
}
