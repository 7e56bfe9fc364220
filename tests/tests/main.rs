//! End-to-end tests of the workspace: one test binary, one module per area.

mod client_faults;
mod client_http;
mod delivery_loop;
mod mock;
mod mock_conformance;
mod mock_limits;
mod schema_client_agree;
mod schema_tools;
mod upsert;
mod webhook_receiver;
mod xtask_check;
