import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { PlanView } from "@/components/redeploy/plan-view";
import { requirePageUser } from "@/lib/auth/page";
import { AppError } from "@/lib/http/errors";
import { redeployPlanQueryKey } from "@/lib/query-keys";
import { getPlan } from "@/lib/redeploy/plans";
import { settingsTimeZone } from "../../settings/time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const t = await getTranslations("plan");
  return { title: `${t("title", { id: (await params).id })} · Faultline` };
}

export default async function PlanPage({ params }: { params: Promise<{ id: string }> }) {
  await requirePageUser("operator");
  const tz = await settingsTimeZone();
  const t = await getTranslations("plan");
  let plan;
  try {
    plan = await getPlan((await params).id);
  } catch (err) {
    if (err instanceof AppError) notFound();
    throw err;
  }
  const queryClient = new QueryClient();
  queryClient.setQueryData(redeployPlanQueryKey(plan.id), plan);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <p className="text-xs">
        <Link href="/redeploy">← {t("allPlans")}</Link>
      </p>
      <PlanView id={plan.id} tz={tz} />
    </HydrationBoundary>
  );
}
