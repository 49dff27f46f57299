//! Stage 3b: target finalization (placeholder; being written).
#[derive(Debug, Clone)]
pub struct Target;
