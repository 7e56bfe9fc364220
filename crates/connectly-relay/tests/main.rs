//! connectly-relay's integration tests: one test binary, one module per area. Everything runs
//! on loopback: the relay in-process, the handler a `connectly_tests::Sink`, Postgres a cluster
//! the tests start (`connectly_tests::postgres`).

mod common;
mod forwarding;
mod ingest;
mod journal;
mod limits;
mod postgres;
