// Drop the official cifar-10-binary.tar.gz (or one CIFAR .bin file) here, or pick it with the file dialog.
import { useState, type DragEvent } from 'react';

export const ACCEPTED_FILES = '.gz,.tgz,.tar,.bin';

export function DropZone({ onFile, disabled }: { onFile: (file: File) => void; disabled: boolean }) {
  const [dragging, setDragging] = useState(false);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file && !disabled) onFile(file);
  };

  return (
    <div
      className={`drop-zone${dragging ? ' dragging' : ''}`}
      data-testid="dataset-drop-zone"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      Drop <code>cifar-10-binary.tar.gz</code> or a CIFAR-10 <code>.bin</code> file here, or{' '}
      <label>
        choose a file
        <input
          className="visually-hidden"
          type="file"
          accept={ACCEPTED_FILES}
          disabled={disabled}
          data-testid="dataset-file-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) onFile(file);
            e.target.value = '';
          }}
        />
      </label>
      .
    </div>
  );
}
