"use client";

import { CheckIcon, ChevronsUpDownIcon } from "lucide-react";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Command, CommandEmpty, CommandGroup, CommandInput, CommandItem, CommandList, containsFilter } from "@/components/ui/command";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { cn } from "@/lib/utils";

export interface Option {
  value: string;
  /** What the option shows (a line's rendering, a translated reason…). */
  label: React.ReactNode;
  /** Plain text the search box matches against (defaults to the value). */
  keywords?: string[];
  count?: number;
}

/** A searchable multi-select (type to filter, arrows and Enter to toggle); the trigger names what is chosen. */
export function MultiSelect({
  label,
  options,
  selected,
  onChange,
  testId,
  searchable = true,
}: {
  label: string;
  options: Option[];
  selected: string[];
  onChange: (values: string[]) => void;
  testId?: string;
  searchable?: boolean;
}) {
  const t = useTranslations("filters");
  const format = useFormatter();
  const [open, setOpen] = useState(false);
  const toggle = (value: string) => onChange(selected.includes(value) ? selected.filter((v) => v !== value) : [...selected, value]);
  const only = selected.length === 1 ? options.find((o) => o.value === selected[0]) : undefined;
  const summary = selected.length === 0 ? t("all") : selected.length === 1 ? (only?.label ?? selected[0]) : t("selected", { count: selected.length });
  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverTrigger asChild>
        <Button
          variant="outline"
          size="sm"
          role="combobox"
          aria-expanded={open}
          aria-label={`${label}: ${typeof summary === "string" ? summary : (selected[0] ?? "")}`}
          data-testid={testId} className="max-w-full justify-between font-normal sm:max-w-[260px]">
          <span className="truncate">
            <span className="text-muted-foreground">{label}:</span> {summary}
          </span>
          <ChevronsUpDownIcon className="opacity-50" aria-hidden />
        </Button>
      </PopoverTrigger>
      <PopoverContent className="w-[min(320px,calc(100vw-2rem))] p-0" data-testid={testId ? `${testId}-menu` : undefined}>
        <Command label={label} filter={containsFilter}>
          {searchable && <CommandInput placeholder={t("search", { what: label.toLowerCase() })} />}
          <CommandList>
            <CommandEmpty>{options.length === 0 ? t("noValues") : t("noMatch")}</CommandEmpty>
            {selected.length > 0 && (
              <CommandGroup>
                <CommandItem value="__clear__" onSelect={() => onChange([])} className="text-primary">
                  {t("clear")}
                </CommandItem>
              </CommandGroup>
            )}
            <CommandGroup>
              {options.map((o) => {
                const checked = selected.includes(o.value);
                return (
                  <CommandItem key={o.value} value={o.value} keywords={o.keywords} onSelect={() => toggle(o.value)} aria-checked={checked} data-checked={checked}>
                    <span className={cn("flex size-4 items-center justify-center rounded-sm border border-primary", checked ? "bg-primary text-primary-foreground" : "opacity-60")}>
                      {checked && <CheckIcon className="size-3" aria-hidden />}
                    </span>
                    <span className="min-w-0 flex-1 truncate">{o.label}</span>
                    {o.count !== undefined && <span className="ml-auto text-xs text-muted-foreground tabular-nums">{format.number(o.count)}</span>}
                  </CommandItem>
                );
              })}
            </CommandGroup>
          </CommandList>
        </Command>
      </PopoverContent>
    </Popover>
  );
}
