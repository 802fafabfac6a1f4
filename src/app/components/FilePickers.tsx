import { useEffect, useRef } from 'react';
import { useServices } from '../appContext.tsx';

const ACCEPT = '.nii,.nii.gz,.gz';

/** Hidden inputs behind the Open actions; also the handle e2e tests set files on. */
export function FilePickers() {
  const { openFiles, registerPickers } = useServices();
  const image = useRef<HTMLInputElement>(null);
  const labels = useRef<HTMLInputElement>(null);
  useEffect(() => {
    registerPickers({ image: () => image.current?.click(), labels: () => labels.current?.click() });
  }, [registerPickers]);
  const onChange = (role: 'image' | 'label') => (e: React.ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    // Reset so choosing the same file again still fires change.
    e.target.value = '';
    void openFiles(files, role);
  };
  return (
    <div className="sr-only">
      <label>
        Open image
        <input ref={image} type="file" accept={ACCEPT} data-testid="file-input-image" onChange={onChange('image')} />
      </label>
      <label>
        Open label map
        <input ref={labels} type="file" accept={ACCEPT} data-testid="file-input-labels" onChange={onChange('label')} />
      </label>
    </div>
  );
}
