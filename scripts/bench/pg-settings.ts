/**
 * PostgreSQL server settings of the benchmarks' clusters (lib/testing/pg-cluster.ts, started
 * durable: fsync, synchronous_commit and full_page_writes on), for the 2-core, 24 GiB reference
 * machine: memory for caching and sorting, and checkpoints spaced out so none lands inside a
 * measured point. Everything else is PostgreSQL's default (JIT and parallel query included).
 */
export const BENCH_PG_SETTINGS: Record<string, string> = {
  shared_buffers: "1GB",
  effective_cache_size: "12GB",
  work_mem: "64MB",
  maintenance_work_mem: "512MB",
  max_wal_size: "8GB",
  checkpoint_timeout: "30min",
  random_page_cost: "1.1",
};
