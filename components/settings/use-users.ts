"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson } from "@/lib/api-client";
import type { UserSummary } from "@/lib/auth/users";

const USERS_KEY = ["settings", "users"] as const;

/**
 * The user list shared by the Users and API tokens panels, so a person added in one is at once
 * offered as a token owner in the other.
 */
export function useUsers(initialUsers: UserSummary[]) {
  const client = useQueryClient();
  const { data } = useQuery({
    queryKey: USERS_KEY,
    queryFn: async () => (await fetchJson<{ items: UserSummary[] }>("/api/users")).items,
    initialData: initialUsers,
    staleTime: Infinity,
  });
  const setUsers = (update: (users: UserSummary[]) => UserSummary[]) => client.setQueryData<UserSummary[]>(USERS_KEY, (users) => update(users ?? initialUsers));
  return [data, setUsers] as const;
}
