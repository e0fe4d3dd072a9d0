import { RouteLoading } from "@/components/route-states";

export default function Loading() {
  return <RouteLoading />;
}
