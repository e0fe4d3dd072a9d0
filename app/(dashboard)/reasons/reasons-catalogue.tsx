"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { ContactListButtons } from "@/components/export/contact-list-buttons";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError } from "@/components/query-states";
import { ReasonClassBadge } from "@/components/reason-class-badge";
import { LikelyMetaCodes } from "@/components/reason-retry";
import { Card, CardTitle } from "@/components/ui/card";
import { TableScroll } from "@/components/ui/table";
import { useReasonText } from "@/components/use-reason-text";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams } from "@/lib/filters";
import type { Facets } from "@/lib/queries/facets";
import { facetsQueryKey } from "@/lib/query-keys";
import { REASON_CLASSES, REASONS } from "@/lib/reasons";

/** The 18 reasons with what they mean, what to do and when a retry can work, each with its count in the current view. */
export function ReasonsCatalogue({ serverTz }: { serverTz: string }) {
  const t = useTranslations("reasons");
  const tClass = useTranslations("reasonClasses");
  const format = useFormatter();
  const text = useReasonText();
  const { filters, tz, queryString } = useFilters(serverTz);
  const facets = useQuery({ queryKey: facetsQueryKey(queryString), queryFn: () => fetchJson<Facets>(`/api/facets?${queryString}`) });
  const countOf = (code: string) => facets.data?.reasons.find((r) => r.reason === code)?.count;
  const linkFor = (code: string) => `/failures?${filtersToSearchParams({ ...filters, reason: [code], class: [] }).toString()}`;
  const unrecognised = (facets.data?.reasons ?? []).filter((r) => !REASONS.some((k) => k.code === r.reason));
  const count = (code: string) => (facets.isPending ? "…" : facets.isError ? "?" : format.number(countOf(code) ?? 0));

  return (
    <>
      <ContactListButtons queryString={queryString} tz={tz} />
      {facets.isError && <QueryError error={facets.error} onRetry={() => void facets.refetch()} what="counts" />}
      {REASON_CLASSES.map((reasonClass) => (
        <Card key={reasonClass}>
          <CardTitle className="flex items-center gap-2">
            <ReasonClassBadge reasonClass={reasonClass} /> {tClass(reasonClass)}
          </CardTitle>
          <TableScroll>
            <table data-testid={`reasons-${reasonClass}`} className="min-w-[760px] align-top">
              <thead>
                <tr>
                  <th>{t("reason")}</th>
                  <th>{t("meaning")}</th>
                  <th>{t("whatToDo")}</th>
                  <th>{t("whenRetryColumn")}</th>
                  <th className="text-right">{t("inRange")}</th>
                </tr>
              </thead>
              <tbody>
                {REASONS.filter((r) => r.reasonClass === reasonClass).map((r) => (
                  <tr key={r.code} data-testid="reason-row" data-reason={r.code} className="align-top">
                    <td>
                      <strong>{text.label(r.code)}</strong>
                      <br />
                      <code className="text-xs text-muted-foreground">{r.code}</code>
                    </td>
                    <td>{text.meaning(r.code)}</td>
                    <td>{text.action(r.code)}</td>
                    <td data-testid="reason-retry">
                      {text.retry(r.code)}
                      {r.likelyMetaCodes.length > 0 && (
                        <>
                          <br />
                          <LikelyMetaCodes codes={r.likelyMetaCodes} />
                        </>
                      )}
                    </td>
                    <td className="text-right tabular-nums">
                      <Link href={linkFor(r.code)}>{count(r.code)}</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </Card>
      ))}
      <Card data-testid="reasons-unrecognised">
        <CardTitle>{t("unrecognisedTitle")}</CardTitle>
        <p className="text-muted-foreground">{t("unrecognisedWhy")}</p>
        {unrecognised.length === 0 ? (
          <p className="text-muted-foreground">{t("noneInRange")}</p>
        ) : (
          <table>
            <tbody>
              {unrecognised.map((r) => (
                <tr key={r.reason}>
                  <td>
                    <code>{r.reason}</code>
                  </td>
                  <td className="text-right tabular-nums">
                    <Link href={linkFor(r.reason)}>{format.number(r.count)}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
