import { useDicomStore } from '../stores/dicomStore.ts';

/**
 * Next to every DICOM export: the "keep DICOM identifiers" choice (off by default) and what the
 * export does with the source's headers, in words (src/core/dicom/deidentify.ts is the rule).
 */
export function DicomExportOptions({ testId }: { testId: string }) {
  const keep = useDicomStore((s) => s.keepIdentifiers);
  const setKeep = useDicomStore((s) => s.setKeepIdentifiers);
  return (
    <div className="dicom-export" data-testid={testId}>
      <label>
        <input type="checkbox" checked={keep} data-testid={`${testId}-keep-ids`} onChange={(e) => setKeep(e.target.checked)} />
        <span>Keep DICOM identifiers</span>
      </label>
      <p data-testid={`${testId}-privacy`}>
        {keep ? (
          <>
            <strong>Identifiers kept:</strong> the SEG and the derived series carry the source&apos;s patient, study, people and
            date fields as they were.
          </>
        ) : (
          <>
            <strong>Removed by default:</strong> patient name, ID, birth date, sex, age and other patient fields; accession
            number, study ID and description; institution, physicians, operators and every other person name; station and device
            serial numbers; all dates and times of the visit; private tags.
          </>
        )}{' '}
        <strong>Kept:</strong> the study, series and frame-of-reference UIDs, so the SEG links to its source series (the new
        series get new UIDs). Written in this tab; nothing leaves the browser.
      </p>
    </div>
  );
}
