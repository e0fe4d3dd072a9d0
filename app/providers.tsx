"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ThemeProvider } from "next-themes";
import { NuqsAdapter } from "nuqs/adapters/next/app";
import { useState } from "react";
import { Toaster } from "@/components/ui/sonner";
import { TooltipProvider } from "@/components/ui/tooltip";
import { ApiError } from "@/lib/api-client";

export function Providers({ children }: { children: React.ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // Server-prefetched data is fresh for a moment; live views set their own interval.
            staleTime: 5_000,
            // One more try for a glitch; never for a refusal or a read that ran past its deadline
            // (the panel shows the server's message: narrow the window or the filters).
            retry: (failures, error) => failures < 1 && !(error instanceof ApiError && (error.status < 500 || error.code === "query_timeout")),
          },
        },
      }),
  );
  return (
    // Dark mode follows the system until the user picks one; the choice is kept in localStorage.
    <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange storageKey="faultline-theme">
      <NuqsAdapter>
        <QueryClientProvider client={client}>
          <TooltipProvider delayDuration={300}>
            {children}
            <Toaster richColors closeButton position="bottom-right" />
          </TooltipProvider>
        </QueryClientProvider>
      </NuqsAdapter>
    </ThemeProvider>
  );
}
