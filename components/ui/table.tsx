import { cn } from "@/lib/utils";

/** A table that scrolls sideways inside its own box, never the page (phone-sized screens). */
export function TableScroll({ className, ...props }: React.ComponentProps<"div">) {
  return <div data-slot="table-container" className={cn("relative w-full overflow-x-auto", className)} {...props} />;
}
