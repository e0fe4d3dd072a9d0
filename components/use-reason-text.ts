"use client";

import { useTranslations } from "next-intl";
import { reasonInfo } from "@/lib/reasons";

/** The 18 reasons' label, meaning, action and retry hint in the user's language; unknown codes show as received. */
export function useReasonText() {
  const t = useTranslations("reasonCatalogue");
  const known = (code: string) => reasonInfo(code) !== undefined;
  return {
    label: (code: string) => (known(code) ? t(`${code}.label`) : code),
    meaning: (code: string) => (known(code) ? t(`${code}.meaning`) : null),
    action: (code: string) => (known(code) ? t(`${code}.action`) : null),
    retry: (code: string) => (known(code) ? t(`${code}.retry`) : null),
  };
}
