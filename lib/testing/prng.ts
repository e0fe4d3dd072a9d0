export { seededRandom } from "./failure-dataset";

/** The seed to use: `envName` from the environment when set (to replay a failure), else random. */
export function testSeed(envName: string): number {
  const raw = process.env[envName];
  const fromEnv = Number(raw);
  return raw && Number.isInteger(fromEnv) ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}
