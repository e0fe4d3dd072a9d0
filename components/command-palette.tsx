"use client";

import { useQuery } from "@tanstack/react-query";
import { FileTextIcon, HashIcon, LayoutDashboardIcon, PhoneIcon, SearchIcon } from "lucide-react";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Command, CommandEmpty, CommandGroup, CommandInput, CommandItem, CommandList, containsFilter } from "@/components/ui/command";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import type { Facets } from "@/lib/queries/facets";
import { NAV_LINKS } from "./nav-links";

const SHOWN_PER_GROUP = 8;

async function fetchFacets(): Promise<Facets> {
  const response = await fetch("/api/facets?range=90d");
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as Facets;
}

/** Ctrl/⌘-K: go to a page, an incident by id, a template or a line, or search failures by phone number. */
export function CommandPalette() {
  const t = useTranslations("palette");
  const tNav = useTranslations("nav");
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [input, setInput] = useState("");
  const facets = useQuery({ queryKey: ["palette-facets"], queryFn: fetchFacets, enabled: open, staleTime: 60_000 });

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key.toLowerCase() === "k" && (event.metaKey || event.ctrlKey)) {
        event.preventDefault();
        setOpen((o) => !o);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const go = (href: string) => {
    setOpen(false);
    setInput("");
    router.push(href);
  };
  const typed = input.trim();
  // "#123" is always an incident; bare digits are one only while short enough to be an id rather than a phone number.
  const incidentId = /^#\d+$/.test(typed) || /^\d{1,8}$/.test(typed) ? typed.replace("#", "") : null;
  const digits = typed.replace(/[\s()+-]/g, "");
  const looksLikePhone = /^\d{4,}$/.test(digits);
  const lines = (facets.data?.lines ?? []).filter((l) => l.line !== null);
  const templates = (facets.data?.templates ?? []).filter((x) => x.template !== null);

  return (
    <>
      <Button variant="outline" size="sm" onClick={() => setOpen(true)} data-testid="palette-open" aria-label={t("open")} aria-keyshortcuts="Control+K Meta+K">
        <SearchIcon aria-hidden />
        <span className="hidden sm:inline">{t("open")}</span>
        <kbd className="hidden lg:inline">Ctrl K</kbd>
      </Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent className="overflow-hidden p-0" closeLabel={t("close")}>
          <DialogTitle className="sr-only">{t("title")}</DialogTitle>
          <DialogDescription className="sr-only">{t("description")}</DialogDescription>
          <Command label={t("title")} filter={containsFilter}>
            <CommandInput placeholder={t("placeholder")} value={input} onValueChange={setInput} data-testid="palette-input" />
            <CommandList>
              <CommandEmpty>{facets.isError ? t("loadFailed") : t("empty")}</CommandEmpty>
              {(incidentId || looksLikePhone) && (
                <CommandGroup heading={t("jump")} forceMount>
                  {incidentId && (
                    <CommandItem value={`incident ${incidentId}`} onSelect={() => go(`/incidents/${incidentId}`)} forceMount>
                      <HashIcon aria-hidden /> {t("incident", { id: incidentId })}
                    </CommandItem>
                  )}
                  {looksLikePhone && (
                    <CommandItem value={`phone ${digits}`} onSelect={() => go(`/failures?range=90d&q=${encodeURIComponent(digits)}`)} forceMount>
                      <PhoneIcon aria-hidden /> {t("searchPhone", { phone: digits })}
                    </CommandItem>
                  )}
                </CommandGroup>
              )}
              <CommandGroup heading={t("pages")}>
                {NAV_LINKS.map((l) => (
                  <CommandItem key={l.href} value={`page ${tNav(l.key)}`} onSelect={() => go(l.href)}>
                    <LayoutDashboardIcon aria-hidden /> {tNav(l.key)}
                  </CommandItem>
                ))}
              </CommandGroup>
              {templates.length > 0 && (
                <CommandGroup heading={t("templates")}>
                  {templates.slice(0, typed ? undefined : SHOWN_PER_GROUP).map((x) => (
                    <CommandItem key={x.template} value={`template ${x.template}`} onSelect={() => go(`/templates/${encodeURIComponent(x.template!)}`)}>
                      <FileTextIcon aria-hidden /> <span className="truncate">{x.template}</span>
                      <span className="ml-auto text-xs text-muted-foreground tabular-nums">{x.count}</span>
                    </CommandItem>
                  ))}
                </CommandGroup>
              )}
              {lines.length > 0 && (
                <CommandGroup heading={t("lines")}>
                  {lines.slice(0, typed ? undefined : SHOWN_PER_GROUP).map((l) => (
                    <CommandItem key={l.line} value={`line ${l.line}`} onSelect={() => go(`/lines/${encodeURIComponent(l.line!)}`)}>
                      <PhoneIcon aria-hidden /> <span className="truncate">{l.line}</span>
                      <span className="ml-auto text-xs text-muted-foreground tabular-nums">{l.count}</span>
                    </CommandItem>
                  ))}
                </CommandGroup>
              )}
            </CommandList>
          </Command>
        </DialogContent>
      </Dialog>
    </>
  );
}
