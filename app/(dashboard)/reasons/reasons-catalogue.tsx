"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ContactListButtons } from "@/components/export/contact-list-buttons";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError } from "@/components/query-states";
import { ReasonClassBadge } from "@/components/reason-class-badge";
import { LikelyMetaCodes } from "@/components/reason-retry";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams } from "@/lib/filters";
import type { Facets } from "@/lib/queries/facets";
import { REASON_CLASS_LABELS, REASON_CLASSES, REASONS } from "@/lib/reasons";
import { facetsQueryKey } from "@/lib/query-keys";

/** The 18 reasons with what they mean, what to do and when a retry can work, each with its count in the current view. */
export function ReasonsCatalogue({ serverTz }: { serverTz: string }) {
  const { filters, queryString } = useFilters(serverTz);
  const facets = useQuery({ queryKey: facetsQueryKey(queryString), queryFn: () => fetchJson<Facets>(`/api/facets?${queryString}`) });
  const countOf = (code: string) => facets.data?.reasons.find((r) => r.reason === code)?.count;
  const linkFor = (code: string) => `/failures?${filtersToSearchParams({ ...filters, reason: [code], class: [] }).toString()}`;
  const unrecognised = (facets.data?.reasons ?? []).filter((r) => !REASONS.some((k) => k.code === r.reason));
  const count = (code: string) =>
    facets.isPending ? "…" : facets.isError ? "?" : (countOf(code) ?? 0).toLocaleString("en-US");

  return (
    <>
      <ContactListButtons queryString={queryString} />
      {facets.isError && <QueryError error={facets.error} onRetry={() => void facets.refetch()} what="the counts" />}
      {REASON_CLASSES.map((reasonClass) => (
        <section className="panel" key={reasonClass}>
          <h2>
            <ReasonClassBadge reasonClass={reasonClass} /> {REASON_CLASS_LABELS[reasonClass]}
          </h2>
          <table data-testid={`reasons-${reasonClass}`}>
            <thead>
              <tr>
                <th>Reason</th>
                <th>Meaning</th>
                <th>What to do</th>
                <th>When a retry can work</th>
                <th className="num">In range</th>
              </tr>
            </thead>
            <tbody>
              {REASONS.filter((r) => r.reasonClass === reasonClass).map((r) => (
                <tr key={r.code} data-testid="reason-row" data-reason={r.code}>
                  <td>
                    <strong>{r.label}</strong>
                    <br />
                    <code className="small">{r.code}</code>
                  </td>
                  <td>{r.meaning}</td>
                  <td>{r.action}</td>
                  <td data-testid="reason-retry">
                    {r.retry}
                    {r.likelyMetaCodes.length > 0 && (
                      <>
                        <br />
                        <LikelyMetaCodes codes={r.likelyMetaCodes} />
                      </>
                    )}
                  </td>
                  <td className="num">
                    <Link href={linkFor(r.code)}>{count(r.code)}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <section className="panel" data-testid="reasons-unrecognised">
        <h2>Unrecognised reasons</h2>
        <p className="muted">Reasons outside Treble&apos;s documented 18 are kept verbatim, never dropped.</p>
        {unrecognised.length === 0 ? (
          <p className="muted">None in this range.</p>
        ) : (
          <table>
            <tbody>
              {unrecognised.map((r) => (
                <tr key={r.reason}>
                  <td>
                    <code>{r.reason}</code>
                  </td>
                  <td className="num">
                    <Link href={linkFor(r.reason)}>{r.count.toLocaleString("en-US")}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
