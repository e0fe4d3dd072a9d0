import { cn } from "@/lib/utils";

/** The centred card of the sign-in, setup and "not allowed" pages. */
export function AuthCard({ className, children, ...props }: React.ComponentProps<"section">) {
  return (
    <main className="mx-auto mt-[10vh] w-full max-w-[420px] px-4">
      <section className={cn("rounded-lg border bg-card p-6 text-card-foreground shadow-xs [&_h1]:mb-3", className)} {...props}>
        {children}
      </section>
    </main>
  );
}
