"use client";

import { useState } from "react";

/** A modal confirmation with an optional note (for resolving, and for every bulk action). */
export function NoteDialog({
  title,
  children,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  title: string;
  children?: React.ReactNode;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: (note: string) => void;
  onCancel: () => void;
}) {
  const [note, setNote] = useState("");
  return (
    <>
      <div className="drawer-backdrop" onClick={onCancel} />
      <div
        className="modal panel"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid="note-dialog"
        onKeyDown={(e) => {
          if (e.key === "Escape") onCancel();
        }}
      >
        <h2>{title}</h2>
        {children}
        <form
          className="auth-form"
          onSubmit={(e) => {
            e.preventDefault();
            onConfirm(note);
          }}
        >
          <label>
            Note (optional)
            <textarea value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} rows={3} autoFocus />
          </label>
          {error && (
            <p className="error-inline" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary" disabled={busy} data-testid="note-dialog-confirm">
              {busy ? "Working…" : confirmLabel}
            </button>
            <button type="button" className="link" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </>
  );
}
