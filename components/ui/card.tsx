import { cn } from "@/lib/utils";

export function Card({ className, ...props }: React.ComponentProps<"section">) {
  return <section data-slot="card" className={cn("mb-5 min-w-0 rounded-lg border bg-card p-4 text-card-foreground shadow-xs sm:p-5", className)} {...props} />;
}

export function CardTitle({ className, ...props }: React.ComponentProps<"h2">) {
  return <h2 data-slot="card-title" className={cn("mt-0 mb-3 text-base font-semibold", className)} {...props} />;
}
