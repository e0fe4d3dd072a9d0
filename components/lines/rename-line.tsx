"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLineLabels } from "@/components/line-name";
import { useHasRole } from "@/components/session-role";
import { fetchJson } from "@/lib/api-client";

/** Longest label the API accepts (LINE_LABEL_MAX_LENGTH in lib/lines/labels.ts). */
const MAX_LENGTH = 60;

/**
 * "Rename" beside a line's name, for operators and admins: an inline field that names the line
 * (PUT /api/lines/{line}/label), or removes its name. Every view showing the line refreshes.
 */
export function RenameLine({ line }: { line: string }) {
  const allowed = useHasRole("operator");
  const current = useLineLabels().get(line) ?? null;
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (label: string | null) =>
      fetchJson<{ line: string; label: string | null }>(`/api/lines/${encodeURIComponent(line)}/label`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ label }),
      }),
    onSuccess: async () => {
      setDraft(null);
      // Labels travel in the label map, stats and facets: refresh them all.
      await queryClient.invalidateQueries();
    },
  });
  if (!allowed) return null;
  if (draft === null) {
    return (
      <span className="ml-2.5 inline-flex items-center gap-1.5 text-sm font-normal">
        <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" onClick={() => setDraft(current ?? "")} data-testid="line-rename">
          Rename
        </button>
      </span>
    );
  }
  return (
    <form
      className="ml-2.5 inline-flex items-center gap-1.5 text-sm font-normal"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(draft.trim() === "" ? null : draft);
      }}
      onKeyDown={(e) => e.key === "Escape" && setDraft(null)}
    >
      <input
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        maxLength={MAX_LENGTH}
        placeholder="e.g. Ventas CO"
        aria-label="Line name"
        autoFocus
        data-testid="line-rename-input"
      />
      <button type="submit" className="inline-flex h-9 cursor-pointer items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90 disabled:cursor-default disabled:opacity-50" disabled={save.isPending} data-testid="line-rename-save">
        Save
      </button>
      {current && (
        <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={save.isPending} onClick={() => save.mutate(null)} data-testid="line-rename-clear">
          Remove name
        </button>
      )}
      <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" onClick={() => setDraft(null)}>
        Cancel
      </button>
      {save.isError && (
        <span className="text-destructive" role="alert">
          {save.error.message}
        </span>
      )}
    </form>
  );
}
