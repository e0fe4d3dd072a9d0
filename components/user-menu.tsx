"use client";

import { LogOutIcon, MonitorIcon, MoonIcon, SunIcon, UserIcon } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useLocale, useTranslations } from "next-intl";
import { useTheme } from "next-themes";
import { useTransition } from "react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { isLocale, LANGUAGE_NAMES, LOCALES } from "@/lib/i18n/locales";
import type { Role } from "@/lib/auth/roles";

/** Stores the user's language on their account (and the cookie), then re-renders in it. */
export function useChangeLocale() {
  const router = useRouter();
  const t = useTranslations("userMenu");
  const [pending, startTransition] = useTransition();
  const change = (locale: string | null) =>
    startTransition(async () => {
      const response = await fetch("/api/me", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ locale }) });
      if (!response.ok) {
        toast.error(t("languageFailed"));
        return;
      }
      router.refresh();
    });
  return { change, pending };
}

/** Theme picker shared by the user menu: system (default), light or dark, remembered in this browser. */
export function ThemeToggle() {
  const t = useTranslations("theme");
  const { theme, setTheme } = useTheme();
  return (
    <DropdownMenuRadioGroup value={theme ?? "system"} onValueChange={setTheme}>
      <DropdownMenuRadioItem value="system" data-testid="theme-system">
        <MonitorIcon aria-hidden /> {t("system")}
      </DropdownMenuRadioItem>
      <DropdownMenuRadioItem value="light" data-testid="theme-light">
        <SunIcon aria-hidden /> {t("light")}
      </DropdownMenuRadioItem>
      <DropdownMenuRadioItem value="dark" data-testid="theme-dark">
        <MoonIcon aria-hidden /> {t("dark")}
      </DropdownMenuRadioItem>
    </DropdownMenuRadioGroup>
  );
}

/** `signOut` is the sign-out server action, handed down by the server header (see AppHeader). */
export function UserMenu({ email, role, signOut }: { email: string; role: Role; signOut: () => Promise<void> }) {
  const t = useTranslations("userMenu");
  const tRole = useTranslations("roles");
  const locale = useLocale();
  const { change } = useChangeLocale();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" className="max-w-[60vw] px-2" data-testid="user-menu" aria-label={t("open", { email })}>
          <UserIcon aria-hidden className="sm:hidden" />
          <span data-testid="user-email" className="hidden truncate sm:inline">
            {email}
          </span>{" "}
          <Badge variant={role === "admin" ? "default" : "muted"} className="hidden sm:inline-flex">
            {role}
          </Badge>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-60">
        <DropdownMenuLabel className="truncate">
          {email} · {tRole(role)}
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuLabel>{t("language")}</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={isLocale(locale) ? locale : "en"} onValueChange={change}>
          {LOCALES.map((l) => (
            <DropdownMenuRadioItem key={l} value={l} lang={l} data-testid={`locale-${l}`}>
              {LANGUAGE_NAMES[l]}
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
        <DropdownMenuItem onSelect={() => change(null)} data-testid="locale-browser">
          {t("browserLanguage")}
        </DropdownMenuItem>
        <DropdownMenuSeparator />
        <DropdownMenuLabel>{t("theme")}</DropdownMenuLabel>
        <ThemeToggle />
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <Link href="/settings" className="text-foreground no-underline hover:no-underline">
            {t("account")}
          </Link>
        </DropdownMenuItem>
        <form action={signOut}>
          <DropdownMenuItem asChild>
            <button type="submit" className="w-full">
              <LogOutIcon aria-hidden /> {t("signOut")}
            </button>
          </DropdownMenuItem>
        </form>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
