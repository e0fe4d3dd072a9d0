/**
 * Whether a picker option's text matches what was typed: case-insensitive substring, and typed
 * digits also match the option's digits however either is spaced ("310 456" finds "+573104567890").
 */
export function matchesSearch(text: string, typed: string): boolean {
  const query = typed.trim().toLowerCase();
  if (!query) return true;
  if (text.toLowerCase().includes(query)) return true;
  const digits = query.replace(/[\s\-().+]/g, "");
  return /^\d+$/.test(digits) && text.replace(/\D/g, "").includes(digits);
}
