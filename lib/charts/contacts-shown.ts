import type { Stats } from "@/lib/queries/stats";

/** A stats answer's contacts as shown: "—" when not counted, "≈ " before an estimate. */
export function contactsShown({ contacts, contactsApproximate }: Pick<Stats, "contacts" | "contactsApproximate">, formatNumber: (n: number) => string): string {
  if (contacts === null) return "—";
  return `${contactsApproximate ? "≈ " : ""}${formatNumber(contacts)}`;
}
