//! Front ends: turn source files into the normalized [`crate::model::Model`].
//!
//! Front ends depend on `model` and `source` only, never on `rules` or `report`.

pub(crate) mod budget;
pub mod cloudformation;
pub mod terraform;

pub use cloudformation::{CfnOptions, Deployment};
pub use terraform::TfOptions;
