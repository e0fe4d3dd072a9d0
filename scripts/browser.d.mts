export function findChromium(env?: NodeJS.ProcessEnv | Record<string, string | undefined>): string | undefined;
export const NO_BROWSER_MESSAGE: string;
