//! Stage 3b: target finalization (placeholder; being written).
