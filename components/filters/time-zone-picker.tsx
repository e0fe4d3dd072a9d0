"use client";

import { CheckIcon, ChevronsUpDownIcon, GlobeIcon } from "lucide-react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Command, CommandEmpty, CommandGroup, CommandInput, CommandItem, CommandList, containsFilter } from "@/components/ui/command";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";

const TIME_ZONES: string[] = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"];

/** A searchable list of IANA time zones (hundreds of them: typing "bogo" finds America/Bogota). */
export function TimeZonePicker({ value, onChange }: { value: string; onChange: (tz: string) => void }) {
  const t = useTranslations("filters");
  const [open, setOpen] = useState(false);
  const zones = TIME_ZONES.includes(value) ? TIME_ZONES : [value, ...TIME_ZONES];
  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverTrigger asChild>
        <Button variant="outline" size="sm" role="combobox" aria-expanded={open} aria-label={t("timeZoneIs", { tz: value })} data-testid="tz-select" className="justify-between font-normal">
          <GlobeIcon aria-hidden className="text-muted-foreground" />
          <span className="truncate">{value}</span>
          <ChevronsUpDownIcon className="opacity-50" aria-hidden />
        </Button>
      </PopoverTrigger>
      <PopoverContent className="w-[min(300px,calc(100vw-2rem))] p-0">
        <Command label={t("timeZone")} filter={containsFilter}>
          <CommandInput placeholder={t("searchTimeZone")} />
          <CommandList>
            <CommandEmpty>{t("noMatch")}</CommandEmpty>
            <CommandGroup>
              {zones.map((z) => (
                <CommandItem
                  key={z}
                  value={z}
                  keywords={[z.replace(/_/g, " ")]}
                  onSelect={() => {
                    onChange(z);
                    setOpen(false);
                  }}
                >
                  <CheckIcon className={z === value ? "opacity-100" : "opacity-0"} aria-hidden />
                  {z}
                </CommandItem>
              ))}
            </CommandGroup>
          </CommandList>
        </Command>
      </PopoverContent>
    </Popover>
  );
}
