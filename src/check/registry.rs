//! The built-in checks, embedded from `checks/` at build time and paired with their templates.

use crate::check::spec::{parse_spec, CheckSpec, SpecError};
use crate::templates::{self, Template};

include!(concat!(env!("OUT_DIR"), "/builtin_checks.rs"));

/// A check ready to run: its spec and the template that implements it.
pub struct Check {
    pub spec: CheckSpec,
    pub template: &'static dyn Template,
}

/// Every built-in check, sorted by id.
pub fn builtin() -> Result<Vec<Check>, SpecError> {
    BUILTIN_SPECS
        .iter()
        .map(|(id, path, text)| {
            let spec = parse_spec(text, path, id)?;
            let template = templates::find(&spec.template).ok_or_else(|| SpecError {
                source_file: path.to_string(),
                message: format!("unknown template {:?}", spec.template),
            })?;
            Ok(Check { spec, template })
        })
        .collect()
}
