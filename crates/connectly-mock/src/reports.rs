//! `GET /v1/businesses/{businessId}/reporting/reports[?type=T]` (List Reports): every business
//! has the same two configured reports, a daily and a monthly campaign report, each with a
//! completed last run and a download URL valid for one hour from the call (the API's default
//! TTL). The URLs are on `example.com`: there is no file behind them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use connectly_client::types;
use serde::Deserialize;
use serde_json::json;

use crate::errors::{check_param, invalid, json_response};

/// How long a listed download URL stays valid (the Reports API's default TTL).
const URL_TTL: Duration = Duration::from_secs(60 * 60);

/// The configured reports of every business: id, name, type, and whether it runs monthly
/// (else daily).
const CONFIGURED: [(&str, &str, &str, bool); 2] = [
    (
        "3f1c2a9e-8b47-4d2e-9a61-5c0f7e2b8d14",
        "Daily campaign report",
        "campaign.daily.v1",
        false,
    ),
    (
        "b6e0d4f2-1a93-4c57-8e2b-9d7a3f6c0e51",
        "Monthly campaign report",
        "campaign.monthly.v1",
        true,
    ),
];

#[derive(Deserialize)]
pub(crate) struct ReportsQuery {
    #[serde(rename = "type")]
    report_type: Option<String>,
}

pub(crate) async fn list(
    Path(business_id): Path<String>,
    query: Result<Query<ReportsQuery>, QueryRejection>,
) -> Response {
    let report_type = match query {
        Ok(Query(query)) => query.report_type,
        Err(rejection) => {
            return invalid(
                format!("invalid query: {}", rejection.body_text()),
                json!({}),
            )
        }
    };
    if report_type.as_deref() == Some("") {
        return invalid(
            "type must not be empty: leave it out to list every report",
            json!({"field": "type"}),
        );
    }
    if let Err(response) = check_param::<types::BusinessId>("businessId", &business_id) {
        return response;
    }
    if let Some(t) = &report_type {
        if let Err(response) = check_param::<types::ListReportsType>("type", t) {
            return response;
        }
    }
    let now = SystemTime::now();
    let data = CONFIGURED
        .iter()
        .filter(|(_, _, t, _)| report_type.as_deref().is_none_or(|wanted| wanted == *t))
        .map(|&(id, name, report_type, monthly)| {
            report(&business_id, id, name, report_type, monthly, now)
        })
        .collect();
    json_response(StatusCode::OK, &types::ListReportsResponse { data })
}

fn report(
    business_id: &str,
    id: &str,
    name: &str,
    report_type: &str,
    monthly: bool,
    now: SystemTime,
) -> types::ListedReport {
    let seconds = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let today = utc(seconds).date();
    // The last run completed five minutes after midnight (UTC) of today, or of the 1st of the
    // month for the monthly report.
    let day = if monthly {
        today.first_of_month()
    } else {
        today
    };
    let created = day.at(0, 5, 0, 0);
    let expires = seconds + URL_TTL.as_secs();
    let run_id = format!("run-{}", day.strftime("%Y%m%d"));
    let mut url = reqwest::Url::parse("https://reports.example.com/").expect("a valid URL");
    url.path_segments_mut()
        .expect("an https URL has segments")
        .extend([business_id, report_type, &format!("{run_id}.csv")]);
    url.query_pairs_mut()
        .append_pair("expires", &expires.to_string())
        .append_pair("signature", &ulid::Ulid::generate().to_string());
    types::ListedReport {
        id: id.to_owned(),
        name: name.to_owned(),
        type_: report_type.to_owned(),
        last_run: Some(types::ListedReportRun {
            id: run_id,
            status: types::ReportRunStatus::Completed,
            result: Some(types::ListedReportResult {
                url: url.to_string(),
                expires_at: Some(iso8601(expires)),
                created_at: Some(iso8601_civil(created)),
            }),
        }),
    }
}

/// `seconds` since the Unix epoch as a UTC date and time (the calendar is jiff's).
fn utc(seconds: u64) -> jiff::civil::DateTime {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    let at = jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::MAX);
    jiff::tz::Offset::UTC.to_datetime(at)
}

/// `seconds` since the Unix epoch as ISO 8601 UTC, e.g. `2025-04-30T12:34:56Z`.
fn iso8601(seconds: u64) -> String {
    iso8601_civil(utc(seconds))
}

/// A UTC date and time as ISO 8601, e.g. `2025-04-30T12:34:56Z` (whole seconds).
fn iso8601_civil(at: jiff::civil::DateTime) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_746_016_496), "2025-04-30T12:34:56Z");
        assert_eq!(iso8601(951_868_799), "2000-02-29T23:59:59Z");
        // Past jiff's last instant (the end of year 9999), the last instant it has.
        assert_eq!(iso8601(u64::MAX), "9999-12-30T22:00:00Z");
    }
}
