import { RouteLoading } from "@/components/route-states";

// In a route group of its own so that /incidents/<id> is not under it: a loading boundary above a
// page commits a 200 before the page can answer 404.
export default function Loading() {
  return <RouteLoading />;
}
