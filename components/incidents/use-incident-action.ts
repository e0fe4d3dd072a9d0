"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson } from "@/lib/api-client";
import type { Assignee } from "@/lib/incidents/assign";
import type { BulkResult } from "@/lib/incidents/bulk";
import type { BulkActionName } from "@/lib/incidents/bulk-actions";
import type { SnoozeInput } from "@/lib/incidents/snooze";
import type { IncidentAction } from "@/lib/incidents/transitions";
import type { IncidentActivityItem, IncidentItem } from "@/lib/queries/incidents";

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

export interface BulkRequest {
  action: BulkActionName;
  ids?: number[];
  filter?: Record<string, string>;
  note?: string;
  snooze?: SnoozeInput;
  userId?: string | null;
  dryRun?: boolean;
}

export const postBulk = (request: BulkRequest) => fetchJson<BulkResult>("/api/incidents/bulk", post(request));

/** One action's request: its note, and for a snooze what wakes it. */
export interface ActionRequest {
  id: number;
  action: IncidentAction;
  note?: string;
  snooze?: SnoozeInput;
}

/**
 * Actions change what every view shows (incident lists and their tab counts, the failures
 * table's status column, the overview's open count), so after each one every query is
 * refetched, whether it won or lost.
 */
export function useIncidentAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, note, snooze }: ActionRequest) => fetchJson<IncidentItem>(`/api/incidents/${id}/${action}`, post({ ...(note ? { note } : {}), ...snooze })),
    onSettled: () => client.invalidateQueries(),
  });
}

export function useAssign() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, userId }: { id: number; userId: string | null }) => fetchJson<IncidentItem>(`/api/incidents/${id}/assign`, post({ userId })),
    onSettled: () => client.invalidateQueries(),
  });
}

export function useComment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, text }: { id: number; text: string }) => fetchJson<IncidentActivityItem>(`/api/incidents/${id}/comments`, post({ text })),
    onSettled: () => client.invalidateQueries(),
  });
}

export function useBulkAction() {
  const client = useQueryClient();
  return useMutation({ mutationFn: postBulk, onSettled: () => client.invalidateQueries() });
}

/** People incidents can be assigned to. */
export function useAssignees() {
  return useQuery({
    queryKey: ["incident-assignees"],
    queryFn: () => fetchJson<{ items: Assignee[] }>("/api/incidents/assignees").then((r) => r.items),
    staleTime: 60_000,
  });
}
