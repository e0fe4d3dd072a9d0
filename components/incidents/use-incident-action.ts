"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { fetchJson } from "@/lib/api-client";
import type { BulkResult } from "@/lib/incidents/bulk";
import type { IncidentAction } from "@/lib/incidents/transitions";
import type { IncidentItem } from "@/lib/queries/incidents";

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

export interface BulkRequest {
  action: IncidentAction;
  ids?: number[];
  filter?: Record<string, string>;
  note?: string;
  dryRun?: boolean;
}

export const postBulk = (request: BulkRequest) => fetchJson<BulkResult>("/api/incidents/bulk", post(request));

/**
 * Actions change what every view shows (incident lists, the failures table's status column, the
 * overview's open count), so after each one every query is refetched, whether it won or lost.
 */
export function useIncidentAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, note }: { id: number; action: IncidentAction; note?: string }) =>
      fetchJson<IncidentItem>(`/api/incidents/${id}/${action}`, post(note ? { note } : {})),
    onSettled: () => client.invalidateQueries(),
  });
}

export function useBulkAction() {
  const client = useQueryClient();
  return useMutation({ mutationFn: postBulk, onSettled: () => client.invalidateQueries() });
}
