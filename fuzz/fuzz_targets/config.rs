//! `.trailcheck.yaml` (hostile: it comes with the repository being checked): parse, then
//! everything built from it (exclude and deployment globs, the simulation context, the
//! workload profile). Must never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = trailcheck::config::Config::parse(text, Path::new("/nonexistent/.trailcheck.yaml")) else {
        return;
    };
    let _ = config.exclude_globs();
    let _ = config.deployment_list();
    let model = trailcheck::model::Model::default();
    let _ = trailcheck::simulate::Context::new(Some(&config), &model);
    let _ = trailcheck::simulate::cost::profile_from_config(Some(&config));
});
