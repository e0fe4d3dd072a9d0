"use client";

import type { ReactNode } from "react";
import { TableScroll } from "@/components/ui/table";

/**
 * The pieces Settings → Alerts and the delivery log share: a panel with its heading, an inline
 * form, a table with an empty state, and a row's link-style actions.
 */

export function AdminPanel({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function InlineForm({ testId, onSubmit, children }: { testId: string; onSubmit: (form: HTMLFormElement) => void; children: ReactNode }) {
  return (
    <form
      className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
      data-testid={testId}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(e.currentTarget);
      }}
    >
      {children}
    </form>
  );
}

/** A table of items, its header cells, and one row saying so when there are none. */
export function ItemTable({ headers, empty, isEmpty, children }: { headers: ReactNode[]; empty: string; isEmpty: boolean; children: ReactNode }) {
  return (
    // Focusable: on a phone the table scrolls sideways, and keyboard users must reach it.
    <TableScroll tabIndex={0}>
      <table>
        <thead>
          <tr>
            {headers.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {isEmpty && (
            <tr>
              <td colSpan={headers.length} className="text-muted-foreground">
                {empty}
              </td>
            </tr>
          )}
          {children}
        </tbody>
      </table>
    </TableScroll>
  );
}

export interface RowAction {
  label: string;
  onClick: () => void;
}

/** A row's actions as link-style buttons; all disabled while an action runs. */
export function RowActions({ actions, busy }: { actions: RowAction[]; busy: boolean }) {
  return (
    <div className="my-2.5 flex flex-wrap items-center gap-2.5">
      {actions.map((a) => (
        <button key={a.label} type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={a.onClick}>
          {a.label}
        </button>
      ))}
    </div>
  );
}
