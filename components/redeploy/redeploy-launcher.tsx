"use client";

import { useMutation } from "@tanstack/react-query";
import { SendIcon } from "lucide-react";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { fetchJson } from "@/lib/api-client";

export type PlanSourceInput = { incidentId: number } | { filter: Record<string, string> };

const choice = "flex items-start gap-2 font-normal";

/**
 * "Re-deploy contacts…": asks what to include, when to send and from which line, then creates
 * the plan — a dry run that sends nothing — and opens it, where the count is typed to send.
 */
export function RedeployLauncher({ source, label }: { source: PlanSourceInput; label?: string }) {
  const t = useTranslations("redeployLauncher");
  const tClass = useTranslations("reasonClasses");
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [retryLater, setRetryLater] = useState(true);
  const [fixed, setFixed] = useState(false);
  const [sendAt, setSendAt] = useState<"now" | "earliest" | "at">("now");
  const [at, setAt] = useState("");
  const [line, setLine] = useState("");
  const create = useMutation({
    mutationFn: () =>
      fetchJson<{ id: number }>("/api/redeploy/plans", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          ...source,
          include: [...(retryLater ? ["retry_later"] : []), ...(fixed ? ["fix_then_retry"] : [])],
          sendAt: sendAt === "at" ? (at ? new Date(at).toISOString() : "") : sendAt,
          ...(line.trim() ? { line: line.trim() } : {}),
        }),
      }),
    onSuccess: (plan) => router.push(`/redeploy/${plan.id}`),
  });

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) create.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button type="button" variant="outline" size="sm" data-testid="redeploy-open">
          <SendIcon aria-hidden /> {label ?? t("open")}
        </Button>
      </DialogTrigger>
      <DialogContent data-testid="redeploy-dialog" closeLabel={t("cancel")}>
        <DialogHeader>
          <DialogTitle>{t("title")}</DialogTitle>
          <DialogDescription>{t("dryRunFirst")}</DialogDescription>
        </DialogHeader>
        <form
          className="flex flex-col gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <fieldset className="flex flex-col gap-1.5">
            <legend className="mb-1 font-medium">{t("latestFailureIs")}</legend>
            <label className={choice}>
              <input type="checkbox" checked={retryLater} onChange={(e) => setRetryLater(e.target.checked)} /> {tClass("retry_later")}
            </label>
            <label className={choice}>
              <input type="checkbox" checked={fixed} onChange={(e) => setFixed(e.target.checked)} data-testid="redeploy-include-fixed" /> {t("fixedConfirm")}
            </label>
          </fieldset>
          <fieldset className="flex flex-col gap-1.5">
            <legend className="mb-1 font-medium">{t("send")}</legend>
            <label className={choice}>
              <input type="radio" name="sendAt" checked={sendAt === "now"} onChange={() => setSendAt("now")} /> {t("now")}
            </label>
            <label className={choice}>
              <input type="radio" name="sendAt" checked={sendAt === "earliest"} onChange={() => setSendAt("earliest")} /> {t("earliest")}
            </label>
            <label className={`${choice} items-center`}>
              <input type="radio" name="sendAt" checked={sendAt === "at"} onChange={() => setSendAt("at")} /> {t("at")}
              <Input type="datetime-local" className="h-8 w-auto" value={at} onChange={(e) => (setAt(e.target.value), setSendAt("at"))} aria-label={t("atLabel")} />
            </label>
          </fieldset>
          <Label>
            {t("moveLine")}
            <Input type="text" value={line} onChange={(e) => setLine(e.target.value)} placeholder="+573001112233" inputMode="tel" />
          </Label>
          {create.isError && (
            <p className="text-destructive" role="alert">
              {create.error.message}
            </p>
          )}
          <DialogFooter>
            <Button type="button" variant="ghost" onClick={() => setOpen(false)}>
              {t("cancel")}
            </Button>
            <Button type="submit" disabled={create.isPending || (!retryLater && !fixed)} data-testid="redeploy-dry-run">
              {create.isPending ? t("counting") : t("dryRun")}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
