//! Stage 3a: Prometheus's relabel engine (placeholder; being written).
