import Link from "next/link";

/** A page whose URL holds an invalid filter says which one, instead of showing wrong numbers. */
export function InvalidFilters({ message }: { message: string }) {
  return (
    <section className="panel query-error" role="alert" data-testid="invalid-filters">
      <strong>This link has an invalid filter:</strong> {message}. <Link href="?">Reset the filters</Link>
    </section>
  );
}
