//! Config loading never panics, whatever the YAML, for both the 2.x and the 3.x semantics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use prom_preflight::config;
use prom_preflight::version::PrometheusVersion;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for version in [PrometheusVersion::V2_42, PrometheusVersion::DEFAULT] {
        let loaded = config::load_str(&text, Path::new("/fuzz/prometheus.yml"), version);
        // Resolving what loaded exercises relabeling and finalization of static targets too.
        let _ = prom_preflight::targets::resolve_offline(&loaded.config, version, true);
    }
});
