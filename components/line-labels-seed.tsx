import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { listLineLabels } from "@/lib/lines/labels";
import { lineLabelsQueryKey } from "@/lib/query-keys";

/** Hands the page's line labels (from the server's cached map) to every <LineName> below, without a fetch. */
export function LineLabelsSeed({ children }: { children: React.ReactNode }) {
  const client = new QueryClient();
  client.setQueryData(lineLabelsQueryKey(), listLineLabels());
  return <HydrationBoundary state={dehydrate(client)}>{children}</HydrationBoundary>;
}
