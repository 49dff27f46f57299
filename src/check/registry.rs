//! The checks of a run: the built-in ones, embedded from `checks/` at build time, plus the user's
//! custom checks, each paired with its template (whose parameters are validated here, before
//! anything runs).

use crate::check::settings::Settings;
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
        .map(|(id, path, text)| bind(parse_spec(text, path, id)?))
        .collect()
}

/// The built-in checks plus the custom checks of `settings`.
pub fn with_settings(settings: &Settings) -> Result<Vec<Check>, SpecError> {
    let mut checks = builtin()?;
    for spec in &settings.custom {
        if checks.iter().any(|c| c.spec.id == spec.id) {
            return Err(SpecError::new(
                &spec.source,
                format!("custom check id {:?} is already taken", spec.id),
            ));
        }
        checks.push(bind(spec.clone())?);
    }
    Ok(checks)
}

fn bind(spec: CheckSpec) -> Result<Check, SpecError> {
    let template = templates::find(&spec.template).ok_or_else(|| {
        SpecError::new(
            &spec.source,
            format!("unknown template {:?}", spec.template),
        )
    })?;
    template.check_params(&spec.params).map_err(|message| {
        SpecError::new(
            &spec.source,
            format!("template {}: {message}", spec.template),
        )
    })?;
    Ok(Check { spec, template })
}
