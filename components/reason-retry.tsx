"use client";

import { useTranslations } from "next-intl";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { reasonInfo } from "@/lib/reasons";
import { useReasonText } from "./use-reason-text";

/** "Likely Meta error 131026": Treble does not publish how its reasons map to Meta's codes. */
export function LikelyMetaCodes({ codes }: { codes: readonly number[] }) {
  const t = useTranslations("reasons");
  if (!codes.length) return null;
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <span className="cursor-help text-xs text-muted-foreground underline decoration-dotted" data-testid="likely-meta-codes" tabIndex={0}>
          {t("likelyMeta", { codes: codes.join(" / ") })}
        </span>
      </TooltipTrigger>
      <TooltipContent>{t("likelyMetaWhy")}</TooltipContent>
    </Tooltip>
  );
}

/** When retrying a reason's contacts can work, and its likely Meta error code. */
export function ReasonRetry({ code }: { code: string }) {
  const t = useTranslations("reasons");
  const text = useReasonText();
  const info = reasonInfo(code);
  if (!info) return null;
  return (
    <p data-testid="reason-retry">
      <strong>{t("whenRetry")}</strong> {text.retry(code)} <LikelyMetaCodes codes={info.likelyMetaCodes} />
    </p>
  );
}
