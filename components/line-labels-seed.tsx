import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { listLineLabels } from "@/lib/lines/labels";
import { lineLabelsQueryKey } from "@/lib/query-keys";

/** Hands the page's line labels (from the server's cached map) to every <LineName> below, without a fetch. */
export async function LineLabelsSeed({ children }: { children: React.ReactNode }) {
  const client = new QueryClient();
  client.setQueryData(lineLabelsQueryKey(), await listLineLabels());
  return <HydrationBoundary state={dehydrate(client)}>{children}</HydrationBoundary>;
}
