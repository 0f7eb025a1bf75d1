"""pggit benchmarks: each case measures pggit against plain PostgreSQL in the same run."""
