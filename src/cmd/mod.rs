//! One file per subcommand: its arguments and its `run`, glue only (load, compute,
//! render).

pub mod clv;
pub mod rate;
pub mod rules;
pub mod sample;
pub mod scan;
