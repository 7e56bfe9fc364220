//! The `connectly` binary's integration tests: one test binary, one module per area.

mod apply;
mod cli;
use connectly_tests::cli as common;
mod contract;
mod events;
mod hostile;
mod live;
mod mock;
mod relay;
mod relay_postgres;
mod schema_messages;
mod ux;
