"""Ray executors: warm actors (task mode), Ray jobs (job mode), pipelines and Serve."""
