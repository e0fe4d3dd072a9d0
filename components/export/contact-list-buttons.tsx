"use client";

import { useQuery } from "@tanstack/react-query";
import { useHasRole } from "@/components/session-role";
import { fetchJson } from "@/lib/api-client";
import { ExportButton } from "./export-button";

const LISTS = [
  { list: "retry", label: "Retry list", title: "Contacts whose latest failure here can be retried, and who never had a do-not-contact failure" },
  { list: "suppress", label: "Suppression list", title: "Contacts with a do-not-contact failure here (invalid, blocked, opted out, unreachable…)" },
] as const;

/** Retry and suppression list downloads for the current filters, each with its count first. */
export function ContactListButtons({ queryString }: { queryString: string }) {
  const canExport = useHasRole("operator");
  if (!canExport) return null;
  return (
    <div className="contact-lists" data-testid="contact-lists">
      {LISTS.map((l) => (
        <ContactList key={l.list} {...l} queryString={queryString} />
      ))}
    </div>
  );
}

function ContactList({ list, label, title, queryString }: { list: string; label: string; title: string; queryString: string }) {
  const href = `/api/contacts/export?list=${list}&${queryString}`;
  const count = useQuery({ queryKey: ["contact-list-count", list, queryString], queryFn: () => fetchJson<{ rows: number }>(`${href}&count=1`) });
  const shown = count.isPending ? "…" : count.isError ? "?" : count.data.rows.toLocaleString("en-US");
  return (
    <span title={title} data-testid={`contact-list-${list}`}>
      <ExportButton href={href} label={`${label} (${shown} contacts)`} testId={`export-${list}`} expected={count.data?.rows} />
    </span>
  );
}
